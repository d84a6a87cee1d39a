package hcloud_test

import (
	"context"
	"slices"
	"testing"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

// TestCreateImageAndWait_reportsThePowerSteps: a caller that shows progress sees each step of
// the power sequence in order, of the server by name; a server that is off is only said to be.
func TestCreateImageAndWait_reportsThePowerSteps(t *testing.T) {
	for _, tt := range []struct {
		name string
		off  bool
		want []hcloud.PowerStepKind
	}{
		{name: "running", want: []hcloud.PowerStepKind{hcloud.PowerStepShutdown, hcloud.PowerStepOff, hcloud.PowerStepPowerOn, hcloud.PowerStepRunningAgain}},
		{name: "off", off: true, want: []hcloud.PowerStepKind{hcloud.PowerStepAlreadyOff}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, emu := newClient(t, emulator.Options{})
			const srv = emulator.SeedServerNoBackups
			if tt.off {
				off := emulator.ServerStatusOff
				if ok, err := emu.SetServerPower(srv, &off, nil); !ok || err != nil {
					t.Fatal(ok, err)
				}
			}
			var got []hcloud.PowerStepKind
			shutdown := consistent
			shutdown.Steps = func(s hcloud.PowerStep) {
				if s.ServerID != srv || s.ServerName != "web-1" {
					t.Errorf("step %+v names another server", s)
				}
				got = append(got, s.Kind)
			}
			if _, err := c.CreateImageAndWait(context.Background(), srv, hcloud.CreateImageOpts{}, shutdown, nil, nil); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("steps %v, want %v", got, tt.want)
			}
		})
	}
}
