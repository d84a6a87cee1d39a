package emulator

import (
	"fmt"
	"strconv"
	"time"
)

// Seeded ids, fixed so that tests and the command's summary can name them.
const (
	SeedServerNoBackups int64 = 101 // web-1: x86, backups disabled
	SeedServerBackups   int64 = 102 // db-1: x86, backups enabled
	SeedServerARM       int64 = 103 // arm-1: arm, backups disabled

	SeedImageUbuntu2404    int64 = 1001 // system, x86
	SeedImageUbuntu2404ARM int64 = 1002 // system, arm
	SeedImageDebian12      int64 = 1003 // system, x86
	SeedImageDebian12ARM   int64 = 1004 // system, arm
	SeedImageUbuntu2004    int64 = 1005 // system, x86, deprecated
	SeedImageDockerCEApp   int64 = 1006 // app, x86
)

const (
	seedServerCreatedISO     = "2025-01-15T09:30:00Z"
	seedImageCreatedISO      = "2024-04-25T08:00:00Z"
	seedDeprecatedISO        = "2025-05-31T00:00:00Z"
	seedOlderImageCreatedISO = "2020-04-23T08:00:00Z"
)

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// seed adds what a fresh Hetzner project sees: a few servers to snapshot and
// the public system and app images, one of them deprecated.
func (e *Emulator) seed() {
	servers := []Server{
		{ID: SeedServerNoBackups, Name: "web-1", Architecture: "x86", DiskSize: 40, OSFlavor: "ubuntu", OSVersion: "24.04",
			ImageID: SeedImageUbuntu2404, Labels: map[string]string{"env": "prod", "role": "web"}},
		{ID: SeedServerBackups, Name: "db-1", Architecture: "x86", DiskSize: 80, BackupsEnabled: true, OSFlavor: "debian", OSVersion: "12",
			ImageID: SeedImageDebian12, Location: "nbg1", Labels: map[string]string{"env": "prod", "role": "db"}, DeleteProtection: true},
		{ID: SeedServerARM, Name: "arm-1", Architecture: "arm", DiskSize: 40, OSFlavor: "ubuntu", OSVersion: "24.04",
			ImageID: SeedImageUbuntu2404ARM, Location: "hel1", Labels: map[string]string{"env": "staging", "role": "arm"}},
	}
	for _, s := range servers {
		s.Created = mustTime(seedServerCreatedISO)
		e.AddServer(s)
	}

	created := mustTime(seedImageCreatedISO)
	system := func(id int64, name, desc, flavor, version, arch string) Image {
		return Image{
			ID: id, Type: ImageTypeSystem, Status: ImageStatusAvailable,
			Name: &name, Description: desc, DiskSize: 5, Created: created,
			OSFlavor: flavor, OSVersion: &version, Architecture: arch, RapidDeploy: true,
		}
	}
	deprecated := mustTime(seedDeprecatedISO)
	old := system(SeedImageUbuntu2004, "ubuntu-20.04", "Ubuntu 20.04", "ubuntu", "20.04", "x86")
	old.Created = mustTime(seedOlderImageCreatedISO)
	old.Deprecated = &deprecated
	app := system(SeedImageDockerCEApp, "docker-ce", "Docker CE", "ubuntu", "24.04", "x86")
	app.Type = ImageTypeApp
	app.RapidDeploy = false
	app.DiskSize = 10

	for _, img := range []Image{
		system(SeedImageUbuntu2404, "ubuntu-24.04", "Ubuntu 24.04", "ubuntu", "24.04", "x86"),
		system(SeedImageUbuntu2404ARM, "ubuntu-24.04", "Ubuntu 24.04", "ubuntu", "24.04", "arm"),
		system(SeedImageDebian12, "debian-12", "Debian 12", "debian", "12", "x86"),
		system(SeedImageDebian12ARM, "debian-12", "Debian 12", "debian", "12", "arm"),
		old,
		app,
	} {
		e.AddImage(img)
	}
}

// seedServers adds n servers the way a larger project has them: server-1 ... server-n, running
// Ubuntu 24.04 on cx22, spread over the locations, labelled fleet=yes and their number.
func (e *Emulator) seedServers(n int) {
	created := mustTime(seedServerCreatedISO)
	for i := 1; i <= n; i++ {
		e.AddServer(Server{
			Name: fmt.Sprintf("server-%d", i), Architecture: "x86", DiskSize: 40, OSFlavor: "ubuntu", OSVersion: "24.04",
			ImageID: SeedImageUbuntu2404, Location: catalogLocations[(i-1)%len(catalogLocations)].Name,
			Labels:  map[string]string{"fleet": "yes", "number": strconv.Itoa(i)},
			Created: created.Add(time.Duration(i) * time.Minute),
		})
	}
}
