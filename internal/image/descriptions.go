package image

// The descriptions of an image's attributes, written once for every schema that shows them: the
// hetzner_image resource, the hetzner_image data source, the items of hetzner_images, and (with
// the same arguments) the hetzner_create_image action. A schema whose attribute means something
// else there (a filter, a lookup) describes it where it declares it.
const (
	descImageID      = "Image ID."
	descImageSize    = "Size of the image in GB, as billed; unknown (null) while the image is written."
	descDiskSize     = "Size in GB of the disk the image holds."
	descCreated      = "When the image was created (RFC 3339)."
	descCreatedFrom  = "The server the image was made from, with the name it had then; null for system and app images."
	descServerID     = "Server ID."
	descServerName   = "Server name when the image was made."
	descOSFlavor     = "Operating system family of the image, such as `ubuntu` or `debian` (`unknown` when the API cannot tell)."
	descOSVersion    = "Operating system version, such as `24.04`; null when unknown."
	descRapidDeploy  = "Whether the image can be deployed rapidly."
	descDeprecated   = "When the image was deprecated (RFC 3339); null unless deprecated. Only Hetzner's own images are deprecated."
	descDeprecation  = "Deprecation notice of the image, null unless deprecated."
	descAnnounced    = "When the deprecation was announced (RFC 3339)."
	descUnavailable  = "After this time (RFC 3339) the image can no longer be used."
	descBoundTo      = "For a backup, the ID of the server it is bound to (and deleted with); null for other images."
	descArchitecture = "CPU architecture of the image: `x86` or `arm`."
	descStatus       = "`available`, `creating` (the disk is still being copied) or `unavailable` (the copy failed)."
)

// The settings that hetzner_image and the hetzner_create_image action share, and the label rules
// of every attribute that sets labels: each schema completes them with what is its own alone.
const (
	descLabels = "User labels. Keys are an optional DNS-subdomain prefix (`example.com/`) and a name " +
		"of 1 to 63 letters, digits, `-`, `_` or `.` that begins and ends with a letter or digit; values are " +
		"empty or follow the same rule. The prefix `hetzner.cloud/` is reserved."
	descShutdownBeforeCreate = "Take a consistent image: when the server is running, shut it down gracefully " +
		"(an ACPI shutdown request to its operating system), wait until it is off, create the image, wait " +
		"until it is written, then power the server on again. **The server is down for all of that time**: " +
		"the shutdown, the whole copy of its disk (minutes for small disks, longer for large ones) and the " +
		"boot. A server that is off is imaged as it is and stays off. Once the shutdown was requested, the " +
		"server is powered on again whatever happens next: a failed image, a timeout, an interrupt (Ctrl-C) " +
		"or an API error (for up to 10 minutes, waiting while the API still writes the image)."
	descShutdownTimeout = "With `shutdown_before_create`, how long the operating system may take to shut " +
		"down after the request, as a duration such as `\"3m\"`. It counts against the create timeout. When " +
		"the server is not off by then (some systems ignore the ACPI request), no image is created and the " +
		"server is left running, unless `poweroff_on_shutdown_timeout` is set. Default `\"" +
		defaultShutdownTimeout + "\"`."
	descPoweroffOnShutdownTimeout = "With `shutdown_before_create`, cut the server's power when it has not shut down " +
		"within `shutdown_timeout`, and go on with the image. A hard power-off is like pulling the plug: " +
		"writes the operating system has not flushed are lost, and the image holds the disk as it was at " +
		"that moment. Default `false`."
)
