// Command terraform-provider-hetzner serves the hetzner provider to Terraform and OpenTofu
// (plugin protocol 6).
package main

import (
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/provider"
)

// version is set at build time: -ldflags "-X main.version=1.2.3".
var version = "dev"

func main() {
	debug := flag.Bool("debug", false, "run the provider with support for debuggers such as delve")
	flag.Parse()
	var opts []tf6server.ServeOpt
	if *debug {
		opts = append(opts, tf6server.WithManagedDebug())
	} else {
		provider.LogOnlyWhatTheCLIKeeps()
	}

	if err := tf6server.Serve(provider.Address, provider.Server(version), opts...); err != nil {
		log.Fatal(err)
	}
}
