package hcloud

import (
	"context"
	"fmt"
)

// CreateImageAndWait creates an image of a server (see createImage) and waits until it is
// written (see waitForImage). created is called as soon as the image exists, before the wait,
// so that the caller can record it; progress sees the create action's states.
//
// With shutdown.Enabled, a running server is shut down gracefully and waited for until it is
// off, the image is created and written, and the server is powered on again. Once the shutdown
// was requested, the server is powered on again whatever happens next (a failed or cancelled
// wait, an API error), within powerOnGrace and regardless of ctx; when that fails the error is
// a *PowerOnError. A server that is off is imaged as it is and stays off. When the operating
// system does not shut down within shutdown.Timeout, the power is cut if shutdown.PowerOff is
// set; otherwise the error is a *ShutdownTimeoutError and the server is left running.
func (c *Client) CreateImageAndWait(ctx context.Context, serverID int64, opts CreateImageOpts, shutdown ShutdownOpts,
	created func(*Image), progress func(ActionProgress),
) (*Image, error) {
	if !shutdown.Enabled {
		return c.createAndWait(ctx, serverID, opts, created, progress)
	}
	srv, err := c.settledServer(ctx, serverID)
	if err != nil {
		return nil, fmt.Errorf("reading the power status of server %d: %w", serverID, err)
	}
	if srv.Status == ServerStatusOff {
		c.log(ctx, "the server is off already; imaging it as it is", map[string]any{"server_id": serverID})
		shutdown.step(PowerStepAlreadyOff, srv, 0)
		return c.createAndWait(ctx, serverID, opts, created, progress)
	}

	c.log(ctx, "shutting the server down for a consistent image", map[string]any{"server_id": serverID})
	since := c.now()
	shutdown.step(PowerStepShutdown, srv, 0)
	if err := c.serverPower(ctx, serverID, powerShutdown); err != nil {
		err = fmt.Errorf("requesting the shutdown of server %d: %w", serverID, err)
		return nil, c.powerOnAgain(ctx, srv, shutdown, since, err)
	}
	if err := c.waitUntilOff(ctx, srv, shutdown); err != nil {
		return nil, c.powerOnAgain(ctx, srv, shutdown, since, err)
	}
	shutdown.step(PowerStepOff, srv, c.now().Sub(since))
	img, err := c.createAndWait(ctx, serverID, opts, created, progress)
	return img, c.powerOnAgain(ctx, srv, shutdown, since, err)
}

func (c *Client) createAndWait(ctx context.Context, serverID int64, opts CreateImageOpts, created func(*Image), progress func(ActionProgress)) (*Image, error) {
	img, action, err := c.createImage(ctx, serverID, opts)
	if err != nil {
		return nil, err
	}
	if created != nil {
		created(img)
	}
	return img, c.waitForImage(ctx, img.ID, action, progress)
}
