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
	descArchitecture = "CPU architecture of the image: `x86` or `arm`, taken from the server it was made from."
	descStatus       = "`available`, `creating` (the disk is still being copied) or `unavailable` (the copy failed)."
)
