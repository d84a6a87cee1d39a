// Package provider is the hetzner provider: its schema, its configuration, and the list of
// resources and data sources it serves.
package provider

import (
	"context"
	"os"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/diags"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/image"
)

// Environment variables shared with the official hcloud provider, so both read one setup.
const (
	EnvToken    = "HCLOUD_TOKEN"
	EnvEndpoint = "HCLOUD_ENDPOINT"
)

// DefaultPollInterval is how often running actions are checked unless configured otherwise.
const DefaultPollInterval = 500 * time.Millisecond

// logSubsystem carries every API request's log line, so TF_LOG_PROVIDER_HETZNER_API can
// raise or silence it on its own.
const logSubsystem = "api"

// apiLogContext is the context the client logs through: the api subsystem at the level of
// TF_LOG_PROVIDER_HETZNER_API (the provider's own level when it is unset), with the token
// masked. The client never passes the token; the mask is belt and braces should a message
// ever contain it.
func apiLogContext(ctx context.Context, token string) context.Context {
	ctx = tflog.MaskAllFieldValuesStrings(tflog.MaskMessageStrings(ctx, token), token)
	ctx = tflog.NewSubsystem(ctx, logSubsystem, tflog.WithLevelFromEnv("TF_LOG_PROVIDER_HETZNER", logSubsystem))
	ctx = tflog.SubsystemMaskMessageStrings(ctx, logSubsystem, token)
	return tflog.SubsystemMaskAllFieldValuesStrings(ctx, logSubsystem, token)
}

var (
	_ provider.Provider                  = (*hetznerProvider)(nil)
	_ provider.ProviderWithListResources = (*hetznerProvider)(nil)
	_ provider.ProviderWithActions       = (*hetznerProvider)(nil)
)

// Option changes how the provider builds its client; tests use it to shorten waits.
type Option func(*hcloud.Options)

type hetznerProvider struct {
	version string
	options []Option
}

// New returns the provider factory for the given version.
func New(version string, opts ...Option) func() provider.Provider {
	return func() provider.Provider {
		return &hetznerProvider{version: version, options: opts}
	}
}

type providerModel struct {
	Token        types.String `tfsdk:"token"`
	Endpoint     types.String `tfsdk:"endpoint"`
	PollInterval types.String `tfsdk:"poll_interval"`
}

func (p *hetznerProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "hetzner"
	resp.Version = p.version
}

func (p *hetznerProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages Hetzner Cloud images (snapshots and backups). " +
			"It reads the same `HCLOUD_TOKEN` and `HCLOUD_ENDPOINT` as the official `hcloud` provider, " +
			"so both can be used side by side.",
		Attributes: map[string]schema.Attribute{
			"token": schema.StringAttribute{
				MarkdownDescription: "Hetzner Cloud API token of the project (64 letters and digits). " +
					"Falls back to the `HCLOUD_TOKEN` environment variable. Create one in the Hetzner " +
					"Cloud Console under *Security → API tokens*; image changes need *Read & Write*.",
				Optional:   true,
				Sensitive:  true,
				Validators: []validator.String{tokenValidator},
			},
			"endpoint": schema.StringAttribute{
				MarkdownDescription: "Base URL of the Hetzner Cloud API. Falls back to the `HCLOUD_ENDPOINT` " +
					"environment variable, then to `" + hcloud.DefaultEndpoint + "`. Must be `https://`; " +
					"plain `http://` is accepted only for loopback hosts (`localhost`, `127.0.0.0/8`, `::1`), " +
					"such as a local API emulator, so the token never crosses a network in clear text.",
				Optional:   true,
				Validators: []validator.String{endpointValidator},
			},
			"poll_interval": schema.StringAttribute{
				MarkdownDescription: "How often running actions (such as an image being written) are checked, " +
					"as a duration like `\"500ms\"` or `\"2s\"`. Default `\"500ms\"`: the shortest wait between two " +
					"checks. When an action is checked is judged from the progress it reports, so that its end is " +
					"noticed soon after it comes; while its progress does not move, the checks back off, doubling " +
					"their spacing up to a minute.",
				Optional:   true,
				Validators: []validator.String{durationValidator},
			},
		},
	}
}

func (p *hetznerProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var config providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if config.Token.IsUnknown() || config.Endpoint.IsUnknown() || config.PollInterval.IsUnknown() {
		resp.Diagnostics.AddError("Provider Configuration Not Known Yet",
			"The hetzner provider's token, endpoint and poll_interval must be known when Terraform plans. "+
				"Set them from variables or the environment rather than from other resources' attributes.")
		return
	}

	token := stringOrEnv(config.Token, EnvToken)
	if d := checkToken(token, !config.Token.IsNull()); d != "" {
		resp.Diagnostics.AddAttributeError(path.Root("token"), tokenSummary(token), d)
	}
	endpoint := stringOrEnv(config.Endpoint, EnvEndpoint)
	if endpoint == "" {
		endpoint = hcloud.DefaultEndpoint
	}
	if summary, detail := checkEndpoint(endpoint, config.Endpoint.IsNull()); summary != "" {
		resp.Diagnostics.AddAttributeError(path.Root("endpoint"), summary, detail)
	}
	pollInterval := DefaultPollInterval
	if !config.PollInterval.IsNull() {
		d, err := parseDuration(config.PollInterval.ValueString())
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("poll_interval"), "Invalid Poll Interval", err.Error()+durationHint)
		}
		pollInterval = d
	}
	if resp.Diagnostics.HasError() {
		return
	}

	setup := diags.Setup{
		TokenFromConfig:    !config.Token.IsNull(),
		Endpoint:           endpoint,
		EndpointFromConfig: !config.Endpoint.IsNull(),
		EndpointFromEnv:    config.Endpoint.IsNull() && os.Getenv(EnvEndpoint) != "",
	}
	opts := hcloud.Options{
		Endpoint:     endpoint,
		Token:        token,
		UserAgent:    "terraform-provider-hetzner/" + p.version,
		PollInterval: pollInterval,
		Log: func(ctx context.Context, msg string, fields map[string]any) {
			ctx = apiLogContext(ctx, token)
			// The client marks the few entries a user waiting for an apply wants to see (what
			// holds a busy server, a lost answer adopted, a retry): they go to the provider's
			// own log at that level; request lines go to the api subsystem at debug.
			switch fields["level"] {
			case "warn":
				tflog.Warn(ctx, msg, fields)
			case "info":
				tflog.Info(ctx, msg, fields)
			default:
				tflog.SubsystemDebug(ctx, logSubsystem, msg, fields)
			}
		},
		Annotate: setup.Annotate,
	}
	for _, o := range p.options {
		o(&opts)
	}
	client := hcloud.New(opts)
	resp.ActionData = client
	resp.DataSourceData = client
	resp.ResourceData = client
	resp.ListResourceData = client
}

// Actions are run by Terraform 1.14 and later; older CLIs and OpenTofu do not ask for them.
func (p *hetznerProvider) Actions(context.Context) []func() action.Action {
	return []func() action.Action{image.NewCreateImageAction}
}

func (p *hetznerProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{image.NewImageResource}
}

func (p *hetznerProvider) ListResources(context.Context) []func() list.ListResource {
	return []func() list.ListResource{image.NewImageListResource}
}

func (p *hetznerProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		image.NewImageDataSource,
		image.NewImagesDataSource,
	}
}

func stringOrEnv(v types.String, env string) string {
	if !v.IsNull() {
		return v.ValueString()
	}
	return os.Getenv(env)
}

// Address is the provider's registry address.
const Address = "registry.terraform.io/tf-hetzner/hetzner"
