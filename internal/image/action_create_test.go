package image

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

// TestCreateFailed_namesTheServerFirstAndTheImageAlways: a failed invoke says what the user must
// do about the server before anything else, and names every image the API made.
func TestCreateFailed_namesTheServerFirstAndTheImageAlways(t *testing.T) {
	made := &hcloud.Image{ID: 4711}
	tests := []struct {
		name string
		err  error
		made *hcloud.Image
		want []string // "severity: summary: part of the detail", in order
	}{
		{
			name: "the power-on failed after the image was written",
			err:  &hcloud.PowerOnError{ServerID: 101, ServerName: "web-1", Err: errors.New("locked")},
			made: made,
			want: []string{"error: Server Left Powered Off: hcloud server poweron 101", "warning: Image Written: Image 4711 of server 101 was written"},
		},
		{
			name: "the image failed and so did the power-on",
			err: &hcloud.PowerOnError{ServerID: 101, ServerName: "web-1", Err: errors.New("locked"),
				Cause: &hcloud.ActionError{ActionID: 9, Command: "create_image", Code: "action_failed", Message: "disk error"}},
			made: made,
			want: []string{"error: Server Left Powered Off: is OFF", "error: Image Creation Did Not Finish: terraform import hetzner_image.NAME 4711"},
		},
		{
			name: "the image failed",
			err:  &hcloud.ActionError{ActionID: 9, Command: "create_image", Code: "action_failed", Message: "disk error"},
			made: made,
			want: []string{"error: Image Creation Did Not Finish: hcloud image delete 4711"},
		},
		{
			name: "no such server",
			err:  &hcloud.APIError{StatusCode: 404, Code: hcloud.CodeNotFound, Message: "server not found"},
			want: []string{"error: Error Creating Image: Check server_id: the server does not exist"},
		},
		{
			name: "the shutdown timed out",
			err:  &hcloud.ShutdownTimeoutError{ServerID: 101, ServerName: "web-1", Timeout: time.Minute, Status: "running"},
			want: []string{"error: Server Did Not Shut Down: raise shutdown_timeout"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := createFailed(tt.err, hcloud.ImageTypeSnapshot, 101, tt.made)
			if len(got) != len(tt.want) {
				t.Fatalf("%d diagnostics, want %d: %v", len(got), len(tt.want), got)
			}
			for i, d := range got {
				w := strings.SplitN(tt.want[i], ": ", 3)
				severity, summary, part := w[0], w[1], w[2]
				if sev := strings.ToLower(d.Severity().String()); sev != severity || d.Summary() != summary || !strings.Contains(d.Detail(), part) {
					t.Errorf("diagnostic %d: %s %q %q, want %s %q containing %q", i, sev, d.Summary(), d.Detail(), severity, summary, part)
				}
			}
		})
	}
	if d := createFailed(&hcloud.APIError{StatusCode: 404, Code: hcloud.CodeNotFound}, hcloud.ImageTypeSnapshot, 101, nil)[0]; !attributeIs(d, "server_id") {
		t.Errorf("the create's error is not on server_id: %v", d)
	}
}

func attributeIs(d diag.Diagnostic, name string) bool {
	withPath, ok := d.(diag.DiagnosticWithPath)
	return ok && withPath.Path().Equal(path.Root(name))
}

// TestProgressSender_deliversInOrderAndNeverAfterTheStop: messages reach Terraform in the order
// they were said, all before close returns; once ctx has ended (an interrupt), nothing more is
// sent (it would end the stream).
func TestProgressSender_deliversInOrderAndNeverAfterTheStop(t *testing.T) {
	var got []string
	p := newProgressSender(context.Background(), func(e action.InvokeProgressEvent) { got = append(got, e.Message) })
	for i := range 50 {
		p.say("message %d", i)
	}
	p.close()
	var want []string
	for i := range 50 {
		want = append(want, fmt.Sprintf("message %d", i))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("delivered %v", got)
	}

	ctx, cancel := context.WithCancel(context.Background())
	sent := make(chan string, 10)
	p = newProgressSender(ctx, func(e action.InvokeProgressEvent) { sent <- e.Message })
	p.say("before the stop")
	if m := <-sent; m != "before the stop" {
		t.Fatalf("sent %q", m)
	}
	cancel()
	p.say("after the stop")
	done := make(chan struct{})
	go func() { p.close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("close waits after the stop")
	}
	select {
	case m := <-sent:
		t.Errorf("sent %q after the stop", m)
	default:
	}
}
