package image_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/image"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/provider"
)

// BenchmarkImagesDataSource_rpc5000 is the provider's whole share of a plan of hetzner_images
// over 5000 snapshots, as the CLI asks for it: the ReadDataSource call of the plugin protocol,
// from the msgpack config it receives to the msgpack state it returns (the 100 pages from the
// emulator included). What a plan takes beyond this is the CLI's.
func BenchmarkImagesDataSource_rpc5000(b *testing.B) {
	ctx := context.Background()
	srv := httptest.NewServer(image.Seed5000())
	defer srv.Close()

	server := providerserver.NewProtocol6(provider.New("bench")())()
	schemas, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		b.Fatal(err)
	}
	providerConfig := dynamicValue(b, schemas.Provider, map[string]tftypes.Value{
		"token":    tftypes.NewValue(tftypes.String, emulatortest.Token),
		"endpoint": tftypes.NewValue(tftypes.String, srv.URL+"/v1"),
	})
	configured, err := server.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{Config: providerConfig})
	if err != nil || len(configured.Diagnostics) > 0 {
		b.Fatal(err, configured.Diagnostics)
	}
	config := dynamicValue(b, schemas.DataSourceSchemas["hetzner_images"], map[string]tftypes.Value{
		"label_selector": tftypes.NewValue(tftypes.String, "bench=yes"),
	})

	b.ReportAllocs()
	for b.Loop() {
		resp, err := server.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{TypeName: "hetzner_images", Config: config})
		if err != nil || len(resp.Diagnostics) > 0 || resp.State == nil {
			b.Fatal(err, resp.Diagnostics)
		}
		b.ReportMetric(float64(len(resp.State.MsgPack))/(1<<20), "MiB-msgpack")
	}
}

// dynamicValue is the msgpack of an object of the schema with the given attributes set and
// every other null.
func dynamicValue(b *testing.B, s *tfprotov6.Schema, set map[string]tftypes.Value) *tfprotov6.DynamicValue {
	b.Helper()
	typ := s.ValueType().(tftypes.Object)
	attrs := map[string]tftypes.Value{}
	for name, t := range typ.AttributeTypes {
		attrs[name] = tftypes.NewValue(t, nil)
	}
	for name, v := range set {
		attrs[name] = v
	}
	dv, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, attrs))
	if err != nil {
		b.Fatal(err)
	}
	return &dv
}
