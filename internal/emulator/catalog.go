package emulator

import (
	"slices"
	"strconv"
)

// The catalog: the locations, datacenters and server types a server refers to. They are
// Hetzner's public offer as the API describes it (names, cities, coordinates, network zones);
// ids and prices are plausible stand-ins [assumed]. They never change, so servers keep only
// names and the wire objects are built from this table.

// Location is a location object of the API.
type Location struct {
	ID          int64   `json:"id"`
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Country     string  `json:"country"`
	City        string  `json:"city"`
	Latitude    float64 `json:"latitude"`
	Longitude   float64 `json:"longitude"`
	NetworkZone string  `json:"network_zone"`
}

// Datacenter is a datacenter object of the API: one per location here.
type Datacenter struct {
	ID          int64                 `json:"id"`
	Name        string                `json:"name"`
	Description string                `json:"description"`
	Location    Location              `json:"location"`
	ServerTypes datacenterServerTypes `json:"server_types"`
}

type datacenterServerTypes struct {
	Available             []int64 `json:"available"`
	AvailableForMigration []int64 `json:"available_for_migration"`
	Supported             []int64 `json:"supported"`
}

// ServerType is a server type object of the API.
type ServerType struct {
	ID           int64                `json:"id"`
	Name         string               `json:"name"`
	Description  string               `json:"description"`
	Category     string               `json:"category"`
	Cores        int                  `json:"cores"`
	Memory       float64              `json:"memory"`
	Disk         float64              `json:"disk"`
	CPUType      string               `json:"cpu_type"`
	StorageType  string               `json:"storage_type"`
	Architecture string               `json:"architecture"`
	Deprecated   *bool                `json:"deprecated"`
	Deprecation  *Deprecation         `json:"deprecation"`
	Locations    []serverTypeLocation `json:"locations"`
	Prices       []serverTypePrice    `json:"prices"`
}

type serverTypeLocation struct {
	ID          int64        `json:"id"`
	Name        string       `json:"name"`
	Deprecation *Deprecation `json:"deprecation"`
}

type serverTypePrice struct {
	Location          string `json:"location"`
	PriceHourly       price  `json:"price_hourly"`
	PriceMonthly      price  `json:"price_monthly"`
	PricePerTBTraffic price  `json:"price_per_tb_traffic"`
	IncludedTraffic   int64  `json:"included_traffic"`
}

// price is a net and gross amount in euros, as decimal strings.
type price struct {
	Net   string `json:"net"`
	Gross string `json:"gross"`
}

// includedTraffic is 20 TB, what the smaller server types include.
const includedTraffic int64 = 20 << 40

// DefaultLocation is where a server without a location is.
const DefaultLocation = "fsn1"

var catalogLocations = []Location{
	{ID: 1, Name: "fsn1", Description: "Falkenstein DC Park 1", Country: "DE", City: "Falkenstein", Latitude: 50.47612, Longitude: 12.370071, NetworkZone: "eu-central"},
	{ID: 2, Name: "nbg1", Description: "Nuremberg DC Park 1", Country: "DE", City: "Nuremberg", Latitude: 49.452102, Longitude: 11.076665, NetworkZone: "eu-central"},
	{ID: 3, Name: "hel1", Description: "Helsinki DC Park 1", Country: "FI", City: "Helsinki", Latitude: 60.169855, Longitude: 24.938379, NetworkZone: "eu-central"},
}

// catalogDatacenters names the one datacenter of each location.
var catalogDatacenters = map[string]struct {
	id   int64
	name string
}{
	"fsn1": {4, "fsn1-dc14"},
	"nbg1": {2, "nbg1-dc3"},
	"hel1": {3, "hel1-dc2"},
}

// serverTypeSpec is one row of the server type table.
type serverTypeSpec struct {
	id           int64
	name, arch   string
	cores        int
	memory, disk float64
	// deprecation is set on a type Hetzner no longer sells (noLongerSold).
	deprecation *Deprecation
}

// gen1Deprecation is the deprecation of the first generation of shared x86 types (cx11 to
// cx51): announced in June 2024, not orderable since September 2024 [dates assumed].
var gen1Deprecation = &Deprecation{
	Announced:        mustTime("2024-06-06T00:00:00Z"),
	UnavailableAfter: mustTime("2024-09-06T00:00:00Z"),
}

// catalogServerTypes: ids, cores, memory and disk as in Hetzner's catalogue (cx11 is 1, cpx11
// 22, cax11 45, cx22 104); cx23 and cx33 keep the ids this table gave them first [assumed].
// The order matters to serverTypeFor: the first of equal disks wins.
var catalogServerTypes = []serverTypeSpec{
	{id: 104, name: "cx22", arch: "x86", cores: 2, memory: 4, disk: 40},
	{id: 105, name: "cx32", arch: "x86", cores: 4, memory: 8, disk: 80},
	{id: 106, name: "cx42", arch: "x86", cores: 8, memory: 16, disk: 160},
	{id: 107, name: "cx52", arch: "x86", cores: 16, memory: 32, disk: 320},
	{id: 114, name: "cx23", arch: "x86", cores: 2, memory: 4, disk: 40},
	{id: 115, name: "cx33", arch: "x86", cores: 4, memory: 8, disk: 80},
	{id: 45, name: "cax11", arch: "arm", cores: 2, memory: 4, disk: 40},
	{id: 93, name: "cax21", arch: "arm", cores: 4, memory: 8, disk: 80},
	{id: 94, name: "cax31", arch: "arm", cores: 8, memory: 16, disk: 160},
	{id: 22, name: "cpx11", arch: "x86", cores: 2, memory: 2, disk: 40},
	{id: 23, name: "cpx21", arch: "x86", cores: 3, memory: 4, disk: 80},
	{id: 24, name: "cpx31", arch: "x86", cores: 4, memory: 8, disk: 160},
	{id: 1, name: "cx11", arch: "x86", cores: 1, memory: 2, disk: 20, deprecation: gen1Deprecation},
	{id: 3, name: "cx21", arch: "x86", cores: 2, memory: 4, disk: 40, deprecation: gen1Deprecation},
}

// noLongerSold is the one rule for whether a server type with this deprecation can still be
// ordered or resized to, and is available in a datacenter: not once it has one, whatever its
// dates [assumed: the only one of the catalog, gen1Deprecation, is long past].
func noLongerSold(d *Deprecation) bool {
	return d != nil
}

// serverTypeFor picks the smallest server type of the architecture whose disk holds diskSize,
// of those still sold.
func serverTypeFor(arch string, diskSize float64) string {
	best := ""
	bestDisk := 0.0
	for _, st := range catalogServerTypes {
		if !noLongerSold(st.deprecation) && st.arch == arch && st.disk >= diskSize && (best == "" || st.disk < bestDisk) {
			best, bestDisk = st.name, st.disk
		}
	}
	if best == "" {
		return catalogServerTypes[0].name
	}
	return best
}

func locationByName(name string) (Location, bool) {
	i := slices.IndexFunc(catalogLocations, func(l Location) bool { return l.Name == name })
	if i < 0 {
		return Location{}, false
	}
	return catalogLocations[i], true
}

func serverTypeIDs() []int64 {
	ids := make([]int64, len(catalogServerTypes))
	for i, st := range catalogServerTypes {
		ids[i] = st.id
	}
	return ids
}

// datacenterOf is the datacenter of a location: every type is supported, the deprecated ones
// are neither available nor available for migration [assumed].
func datacenterOf(loc Location) Datacenter {
	dc := catalogDatacenters[loc.Name]
	ids := serverTypeIDs()
	sold := make([]int64, 0, len(ids))
	for _, st := range catalogServerTypes {
		if !noLongerSold(st.deprecation) {
			sold = append(sold, st.id)
		}
	}
	return Datacenter{
		ID: dc.id, Name: dc.name, Description: loc.City + " 1 virtual DC " + strconv.FormatInt(dc.id, 10), Location: loc,
		ServerTypes: datacenterServerTypes{Available: sold, AvailableForMigration: sold, Supported: ids},
	}
}

func serverTypeByName(name string) (ServerType, bool) {
	return serverTypeWhere(func(st serverTypeSpec) bool { return st.name == name })
}

func serverTypeByID(id int64) (ServerType, bool) {
	return serverTypeWhere(func(st serverTypeSpec) bool { return st.id == id })
}

func serverTypeWhere(match func(serverTypeSpec) bool) (ServerType, bool) {
	i := slices.IndexFunc(catalogServerTypes, match)
	if i < 0 {
		return ServerType{}, false
	}
	c := catalogServerTypes[i]
	deprecated := c.deprecation != nil
	st := ServerType{
		ID: c.id, Name: c.name, Description: upper(c.name), Category: "cost_optimized", Cores: c.cores, Memory: c.memory,
		Disk: c.disk, CPUType: "shared", StorageType: "local", Architecture: c.arch, Deprecated: &deprecated,
		Deprecation: c.deprecation, Locations: []serverTypeLocation{}, Prices: []serverTypePrice{},
	}
	// About 1.10 € a month per GB of memory, net, an hour being a 730th of a month; gross
	// adds 19 % VAT [assumed].
	monthly := c.memory * 1.1
	for _, loc := range catalogLocations {
		// The type-level deprecation is deprecated in favour of the per-location one; the
		// API sends both, alike where a type is gone everywhere [assumed].
		st.Locations = append(st.Locations, serverTypeLocation{ID: loc.ID, Name: loc.Name, Deprecation: c.deprecation})
		st.Prices = append(st.Prices, serverTypePrice{
			Location:          loc.Name,
			PriceHourly:       euros(monthly / 730),
			PriceMonthly:      euros(monthly),
			PricePerTBTraffic: euros(1),
			IncludedTraffic:   includedTraffic,
		})
	}
	return st, true
}

func euros(net float64) price {
	return price{Net: strconv.FormatFloat(net, 'f', 10, 64), Gross: strconv.FormatFloat(net*1.19, 'f', 10, 64)}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
