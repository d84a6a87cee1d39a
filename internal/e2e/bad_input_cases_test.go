package e2e

import (
	"strings"
	"testing"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
)

var validToken = `token = "` + emulatortest.Token + `"`

func snapshotWith(attrs string) string {
	return "resource \"hetzner_image\" \"x\" {\n" + attrs + "\n}\n"
}

var providerBadInputs = []badInput{
	{
		name: "token too short", provider: `token = "abc"`, config: snapshotWith("server_id = 101"), phase: "validate",
		summary: "Malformed API Token",
		detail:  "The token from the provider's token argument has 3 characters and only letters and digits; a Hetzner Cloud API token is exactly 64 letters and digits.",
	},
	{
		name: "token with a space", provider: `token = "` + strings.Repeat("a", 32) + " " + strings.Repeat("b", 31) + `"`, config: snapshotWith("server_id = 101"), phase: "validate",
		summary: "Malformed API Token",
		detail:  "The token from the provider's token argument has 64 characters and contains characters other than letters and digits;",
	},
	{
		name: "no token anywhere", env: map[string]string{"HCLOUD_TOKEN": ""}, config: snapshotWith("server_id = 101"), phase: "plan",
		summary: "Missing API Token",
		detail:  "No Hetzner Cloud API token was given. Set the token argument in the provider block (for example from a sensitive variable) or export HCLOUD_TOKEN.",
	},
	{
		name: "HCLOUD_TOKEN malformed", env: map[string]string{"HCLOUD_TOKEN": "hcloud-token"}, config: snapshotWith("server_id = 101"), phase: "plan",
		summary: "Malformed API Token",
		detail:  "The token from the HCLOUD_TOKEN environment variable has 12 characters and contains characters other than letters and digits;",
	},
	{
		name: "plain http to a network host", provider: validToken + "\nendpoint = \"http://api.example.com/v1\"", config: snapshotWith("server_id = 101"), phase: "validate",
		summary: "Insecure API Endpoint",
		detail:  `The endpoint "http://api.example.com/v1" uses plain http to host "api.example.com", which would send the API token in clear text over the network.`,
	},
	{
		name: "HCLOUD_ENDPOINT plain http to a private address", env: map[string]string{"HCLOUD_ENDPOINT": "http://192.168.1.10/v1"}, config: snapshotWith("server_id = 101"), phase: "plan",
		summary: "Insecure API Endpoint",
		detail:  `The HCLOUD_ENDPOINT "http://192.168.1.10/v1" uses plain http to host "192.168.1.10"`,
	},
	{
		name: "endpoint with another scheme", provider: validToken + "\nendpoint = \"ftp://127.0.0.1/v1\"", config: snapshotWith("server_id = 101"), phase: "validate",
		summary: "Invalid API Endpoint",
		detail:  `The endpoint "ftp://127.0.0.1/v1" is not an http(s) URL. Use the API's base URL, such as "https://api.hetzner.cloud/v1", or remove it to use that default.`,
	},
	{
		name: "endpoint that is not a URL", provider: validToken + "\nendpoint = \"api.hetzner.cloud\"", config: snapshotWith("server_id = 101"), phase: "validate",
		summary: "Invalid API Endpoint",
		detail:  `The endpoint "api.hetzner.cloud" is not an http(s) URL.`,
	},
	{
		name: "poll interval without a unit", provider: `poll_interval = "5"`, config: snapshotWith("server_id = 101"), phase: "validate",
		summary: "Invalid Poll Interval",
		detail:  `"5" is not a positive duration. Write a number with a unit, such as "500ms", "2s" or "1m".`,
	},
	{
		name: "negative poll interval", provider: `poll_interval = "-1s"`, config: snapshotWith("server_id = 101"), phase: "validate",
		summary: "Invalid Poll Interval",
		detail:  `"-1s" is not a positive duration.`,
	},
}

var resourceBadInputs = []badInput{
	{
		name: "label key with a leading dash", config: snapshotWith(`server_id = 101
labels = { "-env" = "prod" }`), phase: "validate",
		summary: "Invalid Label Key",
		detail:  `label key "-env" must begin and end with a letter or digit and use only letters, digits, "-", "_" and "." between. Rename the label so that it follows the Hetzner Cloud label rules.`,
	},
	{
		name: "label key too long", config: snapshotWith(`server_id = 101
labels = { "` + strings.Repeat("k", 64) + `" = "v" }`), phase: "validate",
		summary: "Invalid Label Key",
		detail:  "has a name of 64 characters; the most is 63.",
	},
	{
		name: "label key with two prefixes", config: snapshotWith(`server_id = 101
labels = { "a/b/c" = "v" }`), phase: "validate",
		summary: "Invalid Label Key",
		detail:  `label key "a/b/c" has more than one "/"; only one prefix such as "example.com/" is allowed.`,
	},
	{
		name: "empty label key", config: snapshotWith(`server_id = 101
labels = { "" = "v" }`), phase: "validate",
		summary: "Invalid Label Key",
		detail:  "a label key must not be empty.",
	},
	{
		name: "label prefix that is no DNS name", config: snapshotWith(`server_id = 101
labels = { "-x.com/role" = "v" }`), phase: "validate",
		summary: "Invalid Label Key",
		detail:  `label key "-x.com/role" has prefix "-x.com", which is not a DNS subdomain of at most 253 characters`,
	},
	{
		name: "reserved label prefix", config: snapshotWith(`server_id = 101
labels = { "hetzner.cloud/owner" = "me" }`), phase: "validate",
		summary: "Invalid Label Key",
		detail:  `label key "hetzner.cloud/owner" uses the prefix "hetzner.cloud/", which Hetzner reserves for its own labels.`,
	},
	{
		name: "label value with a space", config: snapshotWith(`server_id = 101
labels = { env = "prod db" }`), phase: "validate",
		summary: "Invalid Label Value",
		detail:  `label "env" has value "prod db", which must be empty or begin and end with a letter or digit and use only letters, digits, "-", "_" and "." between. Change the value, or use an empty string.`,
	},
	{
		name: "label value too long", config: snapshotWith(`server_id = 101
labels = { env = "` + strings.Repeat("v", 64) + `" }`), phase: "validate",
		summary: "Invalid Label Value",
		detail:  `label "env" has a value of 64 characters; the most is 63.`,
	},
	{
		name: "image type that cannot be created", config: snapshotWith(`server_id = 101
type = "system"`), phase: "validate",
		summary: "Invalid Attribute Value Match",
		detail:  `Attribute type value must be one of: ["snapshot" "backup"], got: "system"`,
	},
	{
		name: "server id zero", config: snapshotWith("server_id = 0"), phase: "validate",
		summary: "Invalid Attribute Value",
		detail:  "Attribute server_id value must be at least 1, got: 0",
	},
	{
		name: "server id negative", config: snapshotWith("server_id = -5"), phase: "validate",
		summary: "Invalid Attribute Value",
		detail:  "Attribute server_id value must be at least 1, got: -5",
	},
	{
		name: "server id that is not a number", config: snapshotWith(`server_id = "web-1"`), phase: "validate",
		summary: "Incorrect attribute value type",
		detail:  `Inappropriate value for attribute "server_id": a number is required.`,
	},
	{
		name: "protected backup", config: snapshotWith(`server_id = 102
type = "backup"
delete_protection = true`), phase: "validate",
		summary: "Backups Cannot Be Protected",
		detail:  `The Hetzner Cloud API protects snapshots only, so delete_protection = true needs type = "snapshot". Set type = "snapshot" (an existing backup is converted in place) or remove delete_protection.`,
	},
	{
		name: "shutdown timeout without a unit", config: snapshotWith(`server_id = 101
shutdown_before_create = true
shutdown_timeout = "90"`), phase: "validate",
		summary: "Invalid Shutdown Timeout",
		detail:  `"90" is not a positive duration. Write a number and a unit, such as "3m", "90s" or "1m30s" (units: s, m, h).`,
	},
	{
		name: "shutdown timeout of zero", config: snapshotWith(`server_id = 101
shutdown_before_create = true
shutdown_timeout = "0s"`), phase: "validate",
		summary: "Invalid Shutdown Timeout",
		detail:  `"0s" is not a positive duration.`,
	},
	{
		name: "power-off opt-in without shutdown", config: snapshotWith(`server_id = 101
poweroff_on_shutdown_timeout = true`), phase: "validate",
		summary: "Power-Off Without Shutdown",
		detail:  `poweroff_on_shutdown_timeout only applies when the server is shut down for the image. Set shutdown_before_create = true, or remove poweroff_on_shutdown_timeout.`,
	},
	{
		name: "shutdown timeout without shutdown", config: snapshotWith(`server_id = 101
shutdown_before_create = false
shutdown_timeout = "5m"`), phase: "validate",
		summary: "Shutdown Timeout Without Shutdown",
		detail:  `shutdown_timeout only applies when the server is shut down for the image. Set shutdown_before_create = true, or remove shutdown_timeout.`,
	},
	{
		name: "create timeout that is not a duration", config: snapshotWith(`server_id = 101
timeouts {
  create = "soon"
}`), phase: "validate",
		summary: "Invalid Attribute Value Time Duration",
		detail:  `"soon" must be a string containing a sequence of decimal numbers, each with optional fraction and a unit suffix`,
	},
	{
		name: "delete timeout in words", config: snapshotWith(`server_id = 101
timeouts {
  delete = "10 minutes"
}`), phase: "validate",
		summary: "Invalid Attribute Value Time Duration",
		detail:  `"10 minutes" must be a string containing a sequence of decimal numbers`,
	},
	{
		name: "argument the resource does not have", config: snapshotWith(`server_id = 101
name = "web"`), phase: "validate",
		summary: "Unsupported argument",
		detail:  `An argument named "name" is not expected here.`,
	},
	{
		name: "server that does not exist", config: snapshotWith("server_id = 999"), phase: "apply",
		summary: "Error Creating Image",
		detail:  "Check server_id: the server does not exist in the project of this token.",
	},
	{
		name: "backup of a server without backups", config: snapshotWith(`server_id = 101
type = "backup"`), phase: "apply",
		summary: "Error Creating Image",
		detail:  "A backup needs a server with backups enabled. Enable backups on the server, or create a snapshot instead.",
	},
}

var importBadInputs = []badInput{
	{
		name: "import id that is a name", importID: "web-snapshot", phase: "import",
		summary: "Invalid Import ID",
		detail:  `"web-snapshot" is neither an image id nor a selector.`,
	},
	{
		name: "negative import id", importID: "-5", phase: "import",
		summary: "Invalid Import ID",
		detail:  `"-5" is neither an image id nor a selector.`,
	},
	{
		name: "import of a system image", importID: "1001", phase: "import",
		summary: "Cannot Import A System Image",
		detail:  "Image 1001 (ubuntu-24.04) is a system image that Hetzner provides; hetzner_image manages only your snapshots and backups. Read it with the hetzner_image data source instead.",
	},
	{
		name: "import of an app image", importID: "1006", phase: "import",
		summary: "Cannot Import An App Image",
		detail:  "Image 1006 (docker-ce) is an app image that Hetzner provides;",
	},
	{
		name: "import of an unknown id", importID: "999999", phase: "import",
		summary: "Image Not Found",
		detail:  "No image with id 999999 exists in the project of this token.",
	},
	{
		name: "import selector with a syntax error", importID: "selector:env=(prod", phase: "import",
		summary: "Invalid Import Selector",
		detail:  `label selector "env=(prod", at character 5: expected "," between requirements.`,
	},
	{
		name: "empty import selector", importID: "selector:", phase: "import",
		summary: "Invalid Import Selector",
		detail:  `label selector "", at character 1: expected a label key.`,
	},
	{
		name: "import selector that matches nothing", importID: "selector:env=none", phase: "import",
		summary: "Import Selector Must Match One Image",
		detail:  `The selector "env=none" matches 0 snapshots and backups; an import needs exactly one.`,
	},
}

func imageLookup(attrs string) string { return "data \"hetzner_image\" \"x\" {\n" + attrs + "\n}\n" }

func imagesQuery(attrs string) string { return "data \"hetzner_images\" \"x\" {\n" + attrs + "\n}\n" }

var dataSourceBadInputs = []badInput{
	{
		name: "lookup without id, name or selector", config: imageLookup(`type = ["snapshot"]`), phase: "validate",
		summary: "Missing Attribute Configuration",
		detail:  "Exactly one of these attributes must be configured: [id,name,label_selector]",
	},
	{
		name: "lookup by id and name", config: imageLookup("id = \"1001\"\nname = \"ubuntu-24.04\""), phase: "validate",
		summary: "Invalid Attribute Combination",
		detail:  "Exactly one of these attributes must be configured: [id,name,label_selector]",
	},
	{
		name: "lookup selector with an open set", config: imageLookup(`label_selector = "env=prod,role in (web"`), phase: "validate",
		summary: "Invalid Label Selector",
		detail:  `label selector "env=prod,role in (web", at character 22: expected "," or ")" in the set of values for "role".`,
	},
	{
		name: "lookup id that is a name", config: imageLookup(`id = "ubuntu-24.04"`), phase: "validate",
		summary: "Invalid Image ID",
		detail:  `"ubuntu-24.04" is not an image id: image ids are positive whole numbers such as "12345".`,
	},
	{
		name: "lookup type outside the API's values", config: imageLookup("name = \"debian-12\"\ntype = [\"iso\"]"), phase: "validate",
		summary: "Invalid Attribute Value Match",
		detail:  `Attribute type[Value("iso")] value must be one of: ["system" "app" "snapshot" "backup"], got: "iso"`,
	},
	{
		name: "lookup architecture outside the API's values", config: imageLookup("name = \"debian-12\"\narchitecture = \"riscv\""), phase: "validate",
		summary: "Invalid Attribute Value Match",
		detail:  `Attribute architecture value must be one of: ["x86" "arm"], got: "riscv"`,
	},
	{
		name: "lookup of an unknown id", config: imageLookup(`id = "999999"`), phase: "plan",
		summary: "No Image Found",
		detail:  "No image with id 999999 exists in the project of this token.",
	},
	{
		name: "lookup id excluded by a filter", config: imageLookup("id = \"1001\"\ntype = [\"snapshot\"]"), phase: "plan",
		summary: "No Image Found",
		detail:  `Image 1001 exists, but the filters exclude it: type = ["snapshot"] does not include its type "system". Change or remove the filter, or look up another image.`,
	},
	{
		name: "lookup name of two architectures", config: imageLookup(`name = "debian-12"`), phase: "plan",
		summary: "Image Name Matches Several Architectures",
		detail:  `The name "debian-12" matches images of the architectures arm (id 1004), x86 (id 1003), and no architecture is set.`,
	},
	{
		name: "lookup of a deprecated name", config: imageLookup(`name = "ubuntu-20.04"`), phase: "plan",
		summary: "No Image Found",
		detail:  `No image matches name = "ubuntu-20.04". Deprecated images were not searched.`,
	},
	{
		name: "list sorted by a field the API does not sort by", config: imagesQuery(`sort = ["size:desc"]`), phase: "validate",
		summary: "Invalid Attribute Value Match",
		detail:  "Attribute sort[0] must be id, name or created, optionally followed by :asc or :desc, got: size:desc",
	},
	{
		name: "list with sort and most_recent", config: imagesQuery("sort = [\"name\"]\nmost_recent = true"), phase: "validate",
		summary: "Conflicting Image Order",
		detail:  "most_recent = true sorts newest first (created:desc, id:desc), and sort asks for another order.",
	},
	{
		name: "list status outside the API's values", config: imagesQuery(`status = ["ready"]`), phase: "validate",
		summary: "Invalid Attribute Value Match",
		detail:  `Attribute status[Value("ready")] value must be one of: ["available" "creating" "unavailable"], got: "ready"`,
	},
	{
		name: "list with an empty type set", config: imagesQuery(`type = []`), phase: "validate",
		summary: "Invalid Attribute Value",
		detail:  "Attribute type set must contain at least 1 elements, got: 0",
	},
	{
		name: "list selector with an empty term", config: imagesQuery(`label_selector = "env=prod,,role=web"`), phase: "validate",
		summary: "Invalid Label Selector",
		detail:  `label selector "env=prod,,role=web", at character 10: expected a label key.`,
	},
}

func TestAccBadInput_everyLayerFailsEarlyAndChangesNothing(t *testing.T) {
	var all []badInput
	all = append(all, providerBadInputs...)
	all = append(all, resourceBadInputs...)
	all = append(all, importBadInputs...)
	all = append(all, dataSourceBadInputs...)
	runBadInputs(t, all)
}
