package provider

import (
	"context"
	"errors"
	"reflect"
	"runtime"
	"testing"
	"time"
	"weak"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

type payloadKey struct{}

// payload stands for what the plugin server attaches to each call's context (its loggers).
type payload struct{ _ [16 << 10]byte }

func TestReleasable_isItsParentUntilReleasedAndThenHoldsNothing(t *testing.T) {
	deadline := time.Now().Add(time.Hour)
	base, cancelBase := context.WithDeadline(context.Background(), deadline)
	defer cancelBase()
	p := &payload{}
	gone := weak.Make(p)
	parent := context.WithValue(base, payloadKey{}, p)

	ctx, release := releasable(parent)
	// What the framework does with each call's context, and keeps until StopProvider.
	kept, cancelKept := context.WithCancel(ctx)
	if d, ok := kept.Deadline(); !ok || !d.Equal(deadline) || kept.Value(payloadKey{}) != p || kept.Err() != nil {
		t.Fatalf("before release: deadline %v %v, value kept %t, err %v; want the parent's", d, ok, kept.Value(payloadKey{}) == p, kept.Err())
	}
	cancelBase()
	select {
	case <-kept.Done():
	case <-time.After(time.Second):
		t.Fatal("canceling the parent did not reach the derived context")
	}

	release()
	if ctx.Value(payloadKey{}) != nil || !errors.Is(ctx.Err(), context.Canceled) {
		t.Errorf("after release: value kept %t, err %v; want none and canceled", ctx.Value(payloadKey{}) != nil, ctx.Err())
	}
	select {
	case <-ctx.Done():
	default:
		t.Error("a released context is not done")
	}
	runtime.GC()
	runtime.GC()
	if gone.Value() != nil {
		t.Error("the parent's values are still reachable from the kept context after release")
	}
	runtime.KeepAlive(kept)
	cancelKept()
}

// TestServer_callsDoNotKeepTheirContexts calls ValidateResourceConfig as the plugin server does,
// each with its own context holding 16 KB, and checks that the live heap does not grow by that
// much per call: the framework keeps something of every call until StopProvider.
func TestServer_callsDoNotKeepTheirContexts(t *testing.T) {
	growth := func(server tfprotov6.ProviderServer) int64 {
		ctx := context.Background()
		schemas, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
		if err != nil {
			t.Fatal(err)
		}
		typ := schemas.ResourceSchemas["hetzner_image"].ValueType().(tftypes.Object)
		attrs := map[string]tftypes.Value{}
		for name, at := range typ.AttributeTypes {
			attrs[name] = tftypes.NewValue(at, nil)
		}
		attrs["server_id"] = tftypes.NewValue(tftypes.Number, 101)
		config, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, attrs))
		if err != nil {
			t.Fatal(err)
		}
		call := func() {
			rpc, cancel := context.WithCancel(context.WithValue(ctx, payloadKey{}, &payload{}))
			defer cancel()
			resp, err := server.ValidateResourceConfig(rpc, &tfprotov6.ValidateResourceConfigRequest{TypeName: "hetzner_image", Config: &config})
			if err != nil || len(resp.Diagnostics) > 0 {
				t.Fatal(err, resp.Diagnostics)
			}
		}
		call()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		const calls = 500
		for range calls {
			call()
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(server)
		return int64((float64(after.HeapAlloc) - float64(before.HeapAlloc)) / calls)
	}
	perCall := growth(Server("test")())
	t.Logf("live heap per call: %d bytes (the framework's own server: %d)", perCall, growth(providerserver.NewProtocol6(New("test")())()))
	if perCall > 2<<10 {
		t.Errorf("each call keeps %d bytes alive, want well under the 16 KB its context holds", perCall)
	}
}

func TestServer_hasEveryMethodOfTheFrameworkServer(t *testing.T) {
	framework := reflect.TypeOf(providerserver.NewProtocol6(New("test")())())
	wrapped := reflect.TypeOf(Server("test")())
	if _, ok := Server("test")().(contextReleasing); !ok {
		t.Fatalf("Server returned %v, not the wrapper: the framework server lacks an optional interface", wrapped)
	}
	for i := range framework.NumMethod() {
		if name := framework.Method(i).Name; !hasMethod(wrapped, name) {
			t.Errorf("the framework's server has %s and the wrapper does not: the plugin server would not find it; "+
				"add its interface to frameworkServer", name)
		}
	}
}

func hasMethod(t reflect.Type, name string) bool {
	_, ok := t.MethodByName(name)
	return ok
}
