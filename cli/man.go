package cli

import (
	"os"
	"path/filepath"
	"regexp"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// manCommand is `leasetop man DIR`: a man page per command, from the same
// declarations as --help.
func (a *app) manCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "man DIR",
		Short: "write leasetop's man pages (section 1) into DIR",
		Long: `Write a man page for leasetop and for each of its commands into DIR
(created if missing), generated from the same flag declarations as --help.
The pages in the repository's docs/man/ are made this way (go generate).`,
		Args:   cobra.ExactArgs(1),
		Hidden: false,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := WriteMan(cmd.Root(), args[0]); err != nil {
				return code(a.fail(1, "leasetop man", "%v", err))
			}
			return nil
		},
	}
}

// WriteMan writes the man pages of root's tree into dir. They carry no
// date, so that regenerating them changes nothing unless a declaration
// changed.
func WriteMan(root *cobra.Command, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	root.DisableAutoGenTag = true
	hdr := &doc.GenManHeader{Section: "1", Source: "leasetop", Manual: "leasetop manual"}
	if err := doc.GenManTreeFromOpts(root, doc.GenManTreeOptions{Header: hdr, Path: dir, CommandSeparator: "-"}); err != nil {
		return err
	}
	pages, err := filepath.Glob(filepath.Join(dir, root.Name()+"*.1"))
	if err != nil {
		return err
	}
	for _, p := range pages {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(p, manDate.ReplaceAll(b, []byte(`$1""`)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// manDate is the date field of a page's .TH line, left empty.
var manDate = regexp.MustCompile(`(?m)^(\.TH "[^"]*" "[^"]*" )"[^"]*"`)
