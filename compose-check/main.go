// compose-check loads a compose file with the loader Docker Compose itself uses (compose-go), so a
// file that passes here is one `docker compose config` accepts: schema, interpolation of ${VAR}
// (required variables included), profiles, and the model's consistency (unknown networks, volumes,
// secrets or depends_on targets are errors). It prints the resolved project as JSON for further checks.
//
//	compose-check [-env-file FILE] [-profile NAME]... COMPOSE_FILE
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	envFile := flag.String("env-file", "", "variables to interpolate (only these: the caller's environment is ignored)")
	var profiles listFlag
	flag.Var(&profiles, "profile", "a profile to enable (repeatable)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: compose-check [-env-file FILE] [-profile NAME]... COMPOSE_FILE")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *envFile, profiles); err != nil {
		fmt.Fprintf(os.Stderr, "compose-check: %v\n", err)
		os.Exit(1)
	}
}

func run(file, envFile string, profiles []string) error {
	options := []cli.ProjectOptionsFn{cli.WithEnv(nil), cli.WithProfiles(profiles), cli.WithConsistency(true), cli.WithInterpolation(true)}
	if envFile != "" {
		options = append(options, cli.WithEnvFiles(envFile), cli.WithDotEnv)
	}
	projectOptions, err := cli.NewProjectOptions([]string{file}, options...)
	if err != nil {
		return err
	}
	project, err := projectOptions.LoadProject(context.Background())
	if err != nil {
		return err
	}
	out, err := project.MarshalJSON()
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(append(out, '\n'))
	return err
}
