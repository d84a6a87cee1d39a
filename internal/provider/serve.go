package provider

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// Server returns the provider server that main serves: the framework's, with the contexts of
// its per-resource calls released once each call returns, and the answers of failed creates
// spaced out (see failedCreateSpacing).
//
// The framework (terraform-plugin-framework v1.19) keeps the cancel function of every call's
// context until StopProvider, which Terraform sends only on an interrupt, and each keeps its
// context alive, with the loggers the plugin server attaches to it: about 12 KB per call. A
// refresh makes four calls per resource, so the provider's memory grew with the configuration
// (a refresh of 5000 images peaked at 693 MB, against 38 MB for the official provider's). The
// calls wrapped here reach the framework through a context that forgets its parent when the
// call returns, so what the framework keeps is a few hundred bytes. They are the calls made once
// or more per resource that start no work outliving them; the others, ApplyResourceChange
// among them (a create's wait is shared by later creates), keep the framework's behaviour.
//
// The plugin server finds list resources, actions and state stores by asserting the optional
// interfaces on the server it is given, so the wrapper carries all of them; a framework server
// that lacks one is served as it is (TestServer_hasEveryMethodOfTheFrameworkServer keeps the two
// method sets equal).
func Server(version string) func() tfprotov6.ProviderServer {
	return func() tfprotov6.ProviderServer {
		server := providerserver.NewProtocol6(New(version)())()
		if fw, ok := server.(frameworkServer); ok {
			return contextReleasing{spacedFailedCreates{fw, newAnswerGate(failedCreateSpacing)}}
		}
		return server
	}
}

// frameworkServer is what the framework's server implements: the provider server and its
// optional parts.
type frameworkServer interface {
	tfprotov6.ProviderServer
	tfprotov6.ListResourceServer
	tfprotov6.ActionServer
	tfprotov6.StateStoreServer
}

type contextReleasing struct {
	frameworkServer
}

func (s contextReleasing) ValidateResourceConfig(ctx context.Context, req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	return released(ctx, req, s.frameworkServer.ValidateResourceConfig)
}

func (s contextReleasing) UpgradeResourceState(ctx context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	return released(ctx, req, s.frameworkServer.UpgradeResourceState)
}

func (s contextReleasing) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	return released(ctx, req, s.frameworkServer.ReadResource)
}

func (s contextReleasing) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	return released(ctx, req, s.frameworkServer.PlanResourceChange)
}

func (s contextReleasing) ImportResourceState(ctx context.Context, req *tfprotov6.ImportResourceStateRequest) (*tfprotov6.ImportResourceStateResponse, error) {
	return released(ctx, req, s.frameworkServer.ImportResourceState)
}

func (s contextReleasing) ValidateDataResourceConfig(ctx context.Context, req *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	return released(ctx, req, s.frameworkServer.ValidateDataResourceConfig)
}

func (s contextReleasing) ReadDataSource(ctx context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	return released(ctx, req, s.frameworkServer.ReadDataSource)
}

// released makes a call with a context released when the call returns.
func released[Req, Resp any](ctx context.Context, req Req, call func(context.Context, Req) (Resp, error)) (Resp, error) {
	ctx, release := releasable(ctx)
	defer release()
	return call(ctx, req)
}

// releasableContext is its parent until released, and after that a context that is over
// (done, canceled, without values) and holds nothing.
type releasableContext struct {
	parent atomic.Pointer[context.Context]
}

// releasable returns a context that is ctx until release is called.
func releasable(ctx context.Context) (context.Context, func()) {
	c := &releasableContext{}
	c.parent.Store(&ctx)
	return c, func() { c.parent.Store(nil) }
}

func (c *releasableContext) get() context.Context {
	if p := c.parent.Load(); p != nil {
		return *p
	}
	return nil
}

func (c *releasableContext) Deadline() (time.Time, bool) {
	if p := c.get(); p != nil {
		return p.Deadline()
	}
	return time.Time{}, false
}

func (c *releasableContext) Done() <-chan struct{} {
	if p := c.get(); p != nil {
		return p.Done()
	}
	return closed
}

func (c *releasableContext) Err() error {
	if p := c.get(); p != nil {
		return p.Err()
	}
	return context.Canceled
}

func (c *releasableContext) Value(key any) any {
	if p := c.get(); p != nil {
		return p.Value(key)
	}
	return nil
}

// closed is the Done channel of a released context.
var closed = func() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}()
