package image

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

// Seed5000 returns an emulator with 5000 snapshots, like the benchmark of make bench (exported
// for the benchmark of the whole RPC in package image_test).
func Seed5000() *emulator.Emulator {
	emu := emulator.New(emulator.Options{NoSeed: true})
	for i := range 5000 {
		emu.AddImage(emulator.Image{Type: "snapshot", Status: "available", Description: fmt.Sprint("bench ", i),
			Architecture: "x86", OSFlavor: "ubuntu", DiskSize: 40,
			CreatedFrom: &emulator.CreatedFrom{ID: 1, Name: "web-1"},
			Labels:      map[string]string{"bench": "yes"}})
	}
	return emu
}

// BenchmarkImagesDataSource_read5000 is hetzner_images' Read of 5000 snapshots, in process:
// 100 pages from the emulator, then the items into state.
func BenchmarkImagesDataSource_read5000(b *testing.B) {
	ctx := context.Background()
	srv := httptest.NewServer(Seed5000())
	defer srv.Close()
	ds := &imagesDataSource{client: hcloud.New(hcloud.Options{Endpoint: srv.URL + "/v1", Token: emulatortest.Token})}

	var sch datasource.SchemaResponse
	ds.Schema(ctx, datasource.SchemaRequest{}, &sch)
	config := nullConfig(ctx, sch.Schema)
	typ := sch.Schema.Type().TerraformType(ctx)

	b.ReportAllocs()
	for b.Loop() {
		req := datasource.ReadRequest{Config: config}
		resp := datasource.ReadResponse{State: tfsdk.State{Schema: sch.Schema, Raw: tftypes.NewValue(typ, nil)}}
		ds.Read(ctx, req, &resp)
		if resp.Diagnostics.HasError() {
			b.Fatal(resp.Diagnostics)
		}
		var images []tftypes.Value
		var attrs map[string]tftypes.Value
		if err := resp.State.Raw.As(&attrs); err != nil {
			b.Fatal(err)
		}
		if err := attrs["images"].As(&images); err != nil || len(images) != 5000 {
			b.Fatalf("%d images (%v), want 5000", len(images), err)
		}
	}
}

// BenchmarkImagesDataSource_state5000 is the part of that Read after the last page: 5000 images
// of the API into the data source's state. The emulator's own work (a sort per page) weighs on
// the benchmark above; this one is the provider's alone.
func BenchmarkImagesDataSource_state5000(b *testing.B) {
	ctx := context.Background()
	srv := httptest.NewServer(Seed5000())
	defer srv.Close()
	client := hcloud.New(hcloud.Options{Endpoint: srv.URL + "/v1", Token: emulatortest.Token})
	images, err := client.AllImages(ctx, hcloud.ImageListOpts{})
	if err != nil || len(images) != 5000 {
		b.Fatalf("%d images (%v), want 5000", len(images), err)
	}
	var sch datasource.SchemaResponse
	NewImagesDataSource().Schema(ctx, datasource.SchemaRequest{}, &sch)
	typ := sch.Schema.Type().TerraformType(ctx)
	config := nullConfig(ctx, sch.Schema)
	var fromConfig imagesDataSourceModel
	if d := config.Get(ctx, &fromConfig); d.HasError() {
		b.Fatal(d)
	}

	b.ReportAllocs()
	for b.Loop() {
		state := tfsdk.State{Schema: sch.Schema, Raw: tftypes.NewValue(typ, nil)}
		m := fromConfig
		m.ID = types.StringValue("x")
		list, diags := imageList(images)
		diags.Append(setWithList(ctx, &state, &m, list)...)
		if diags.HasError() {
			b.Fatal(diags)
		}
	}
}

// nullConfig is a configuration that sets no attribute.
func nullConfig(ctx context.Context, s schema.Schema) tfsdk.Config {
	typ := s.Type().TerraformType(ctx).(tftypes.Object)
	nulls := map[string]tftypes.Value{}
	for name, t := range typ.AttributeTypes {
		nulls[name] = tftypes.NewValue(t, nil)
	}
	return tfsdk.Config{Schema: s, Raw: tftypes.NewValue(typ, nulls)}
}
