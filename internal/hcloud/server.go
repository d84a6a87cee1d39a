package hcloud

import (
	"context"
	"fmt"
	"net/http"
)

// Server statuses the client acts on. The API knows more (starting, stopping, initializing,
// migrating, rebuilding, deleting, unknown); a server in one of those is waited for.
const (
	ServerStatusRunning = "running"
	ServerStatusOff     = "off"
)

// Server is what the client reads of a server: its name, for messages, and its power status.
type Server struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

// GetServer reads one server; a missing one is an APIError that IsNotFound recognises.
func (c *Client) GetServer(ctx context.Context, id int64) (*Server, error) {
	var out struct {
		Server Server `json:"server"`
	}
	if err := c.do(ctx, http.MethodGet, fmt.Sprintf("/servers/%d", id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out.Server, nil
}
