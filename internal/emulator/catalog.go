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
}

var catalogServerTypes = []serverTypeSpec{
	{id: 104, name: "cx22", arch: "x86", cores: 2, memory: 4, disk: 40},
	{id: 105, name: "cx32", arch: "x86", cores: 4, memory: 8, disk: 80},
	{id: 106, name: "cx42", arch: "x86", cores: 8, memory: 16, disk: 160},
	{id: 114, name: "cx23", arch: "x86", cores: 2, memory: 4, disk: 40},
	{id: 115, name: "cx33", arch: "x86", cores: 4, memory: 8, disk: 80},
	{id: 45, name: "cax11", arch: "arm", cores: 2, memory: 4, disk: 40},
	{id: 93, name: "cax21", arch: "arm", cores: 4, memory: 8, disk: 80},
}

// serverTypeFor picks the smallest server type of the architecture whose disk holds diskSize.
func serverTypeFor(arch string, diskSize float64) string {
	best := ""
	bestDisk := 0.0
	for _, st := range catalogServerTypes {
		if st.arch == arch && st.disk >= diskSize && (best == "" || st.disk < bestDisk) {
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

func datacenterOf(loc Location) Datacenter {
	dc := catalogDatacenters[loc.Name]
	ids := serverTypeIDs()
	return Datacenter{
		ID: dc.id, Name: dc.name, Description: loc.City + " 1 virtual DC " + strconv.FormatInt(dc.id, 10), Location: loc,
		ServerTypes: datacenterServerTypes{Available: ids, AvailableForMigration: ids, Supported: ids},
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
	notDeprecated := false
	st := ServerType{
		ID: c.id, Name: c.name, Description: upper(c.name), Category: "cost_optimized", Cores: c.cores, Memory: c.memory,
		Disk: c.disk, CPUType: "shared", StorageType: "local", Architecture: c.arch, Deprecated: &notDeprecated,
		Locations: []serverTypeLocation{}, Prices: []serverTypePrice{},
	}
	// About 1.10 € a month per GB of memory, net, an hour being a 730th of a month; gross
	// adds 19 % VAT [assumed].
	monthly := c.memory * 1.1
	for _, loc := range catalogLocations {
		st.Locations = append(st.Locations, serverTypeLocation{ID: loc.ID, Name: loc.Name})
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
