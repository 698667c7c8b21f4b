// Command pulldoctor tells why an Amazon ECS task cannot pull its container image.
package main

import (
	"os"

	"github.com/pulldoctor/pulldoctor/internal/cli"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
