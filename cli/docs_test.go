package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Every leasetop command line that README.md, CONTRIBUTING.md and the
// guides in docs/ show, in code blocks and in inline code, is one the real
// command tree takes: the command exists, each flag is one it declares with
// a value of its type, and its arguments are what it accepts. Nothing is
// run. The examples of --help are checked the same way.
func TestDocumentedCommandsParse(t *testing.T) {
	docs, err := filepath.Glob("../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	files := append([]string{"../README.md", "../CONTRIBUTING.md"}, docs...)
	readme := 0
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range documentedCommands(string(b)) {
			if file == "../README.md" {
				readme++
			}
			if err := parseOnly(c.args); err != nil {
				t.Errorf("%s:%d: leasetop %s: %v", strings.TrimPrefix(file, "../"), c.line, strings.Join(c.args, " "), err)
			}
		}
	}
	// The README shows a dozen commands or more: finding none would mean
	// the extraction, not the README, is broken.
	if readme < 10 {
		t.Errorf("found %d leasetop command lines in README.md; the extraction is broken", readme)
	}

	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for i, line := range strings.Split(c.Example, "\n") {
			for _, args := range shellCommands(line) {
				if err := parseOnly(args); err != nil {
					t.Errorf("%s --help, example line %d: leasetop %s: %v", c.CommandPath(), i+1, strings.Join(args, " "), err)
				}
			}
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk((&app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}).newRoot())
}

// The check itself: made-up commands, flags and values are refused, real
// ones taken, as the command line would.
func TestParseOnlyRefusesWhatTheCommandLineRefuses(t *testing.T) {
	tests := []struct {
		line string
		ok   bool
	}{
		{"leasetop", true},
		{"leasetop database/creds/ --read-only --refresh 5s", true},
		{"leasetop ls database/creds/ -r --expiring-within 1h -o jsonl", true},
		{"leasetop -addr http://127.0.0.1:8200 ls -r", true}, // Go flag package's single dash
		{"leasetop ls --context prod secret/", true},
		{"leasetop ctx use staging", true},
		{"leasetop completion bash", true},
		{"leasetop revoke --help", true},
		{"go run . demo --scale 100", true},
		{"leasetop ls --no-such-flag", false},
		{"leasetop --read-only=maybe", false},
		{"leasetop --refresh soon", false},
		{"leasetop count --depth three", false},
		{"leasetop ls --growth 500/m", false}, // check's flag, not ls's
		{"leasetop lss -r", false},            // not a command, nor a prefix
		{"leasetop ctx use", false},
		{"leasetop demo extra", false},
		{"leasetop completion", false},
	}
	for _, tt := range tests {
		cmds := shellCommands(tt.line)
		if len(cmds) != 1 {
			t.Errorf("%q: %d commands found, want 1", tt.line, len(cmds))
			continue
		}
		if err := parseOnly(cmds[0]); (err == nil) != tt.ok {
			t.Errorf("%q: err = %v, want ok %v", tt.line, err, tt.ok)
		}
	}
}

func TestDocumentedCommandsFindsEveryForm(t *testing.T) {
	md := "text `leasetop ctx use NAME` and `go run . demo --seed-only`, not `vault lease lookup`.\n" +
		"```sh\n" +
		"export VAULT_ADDR=https://vault.example.com:8200\n" +
		"leasetop ls -r -o csv > leases.csv    # comment --not-a-flag\n" +
		"ssh vault-1 sudo cat /var/log/vault_audit.log | leasetop --vault-audit -\n" +
		"source <(leasetop completion bash)\n" +
		"LEASETOP_CPUPROFILE=ui.prof leasetop database/ && echo done\n" +
		"$ leasetop --context 'prod eu'\n" +
		"```\n" +
		"```yaml\nleasetop: not a command\n```\n"
	want := []string{
		"1: ctx use NAME",
		"1: demo --seed-only",
		"4: ls -r -o csv",
		"5: --vault-audit -",
		"6: completion bash",
		"7: database/",
		"8: --context prod eu",
	}
	var got []string
	for _, c := range documentedCommands(md) {
		got = append(got, fmt.Sprintf("%d: %s", c.line, strings.Join(c.args, " ")))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// parseOnly finds the command args name and parses its flags and
// arguments as Run would, without running it.
func parseOnly(args []string) error {
	a := &app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	root := a.newRoot()
	args = longFlags(root, args)
	cmd, rest, err := root.Find(args)
	if err != nil {
		return err
	}
	if err := cmd.ParseFlags(rest); err != nil && !errors.Is(err, pflag.ErrHelp) {
		return err
	}
	pos := cmd.Flags().Args()
	if err := cmd.ValidateArgs(pos); err != nil {
		return err
	}
	if err := cmd.ValidateRequiredFlags(); err != nil {
		return err
	}
	if err := cmd.ValidateFlagGroups(); err != nil {
		return err
	}
	// The root takes any word as the prefix to open, so a misspelt
	// command would pass as one: in documentation a prefix has a slash,
	// and a placeholder is in capitals (PREFIX).
	if cmd == root {
		for _, p := range pos {
			if p != "-" && !strings.Contains(p, "/") && strings.ToUpper(p) != p {
				return fmt.Errorf("%q is neither a command nor a prefix", p)
			}
		}
	}
	return nil
}

type docCommand struct {
	line int      // 1-based line in the file
	args []string // after "leasetop"
}

var (
	fence      = regexp.MustCompile("^\\s*(```|~~~)")
	inlineCode = regexp.MustCompile("`([^`]+)`")
)

// documentedCommands finds the leasetop command lines of a Markdown text:
// in fenced blocks of shell (no language, sh, bash, console, shell), and
// in inline code that starts with the command.
func documentedCommands(md string) []docCommand {
	var out []docCommand
	inBlock, shell := false, false
	for i, line := range strings.Split(md, "\n") {
		if m := fence.FindString(line); m != "" {
			if inBlock {
				inBlock = false
				continue
			}
			inBlock = true
			lang := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), strings.TrimSpace(m)))
			switch lang {
			case "", "sh", "bash", "console", "shell", "zsh":
				shell = true
			default:
				shell = false
			}
			continue
		}
		if inBlock {
			if shell {
				for _, args := range shellCommands(strings.TrimPrefix(strings.TrimSpace(line), "$ ")) {
					out = append(out, docCommand{i + 1, args})
				}
			}
			continue
		}
		for _, m := range inlineCode.FindAllStringSubmatch(line, -1) {
			code := m[1]
			if strings.HasPrefix(code, "leasetop ") || code == "leasetop" || strings.HasPrefix(code, "go run . ") {
				for _, args := range shellCommands(code) {
					out = append(out, docCommand{i + 1, args})
				}
			}
		}
	}
	return out
}

// shellCommands splits a shell line into its simple commands and returns
// the arguments of those that run leasetop (or `go run .`): redirections,
// comments and variable assignments before the command are left out.
func shellCommands(line string) [][]string {
	var out [][]string
	for _, words := range splitShell(line) {
		for len(words) > 0 && isAssignment(words[0]) {
			words = words[1:]
		}
		switch {
		case len(words) > 0 && (words[0] == "leasetop" || strings.HasSuffix(words[0], "/leasetop")):
			out = append(out, words[1:])
		case len(words) >= 3 && words[0] == "go" && words[1] == "run" && words[2] == ".":
			out = append(out, words[3:])
		}
	}
	return out
}

func isAssignment(w string) bool {
	name, _, ok := strings.Cut(w, "=")
	if !ok || name == "" {
		return false
	}
	for _, r := range name {
		if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// splitShell cuts a line into simple commands of words, the way a shell
// would for the lines documentation shows: quotes, a comment, the
// operators | || && ; <( $( ) and redirections (whose file is dropped).
func splitShell(line string) [][]string {
	var cmds [][]string
	var words []string
	var word strings.Builder
	inWord, skipNext := false, false
	endWord := func() {
		if inWord {
			if !skipNext {
				words = append(words, word.String())
			}
			skipNext = false
		}
		word.Reset()
		inWord = false
	}
	endCmd := func() {
		endWord()
		if len(words) > 0 {
			cmds = append(cmds, words)
		}
		words = nil
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\'' || c == '"':
			j := strings.IndexByte(line[i+1:], c)
			if j < 0 {
				j = len(line) - i - 1
			}
			word.WriteString(line[i+1 : i+1+j])
			inWord = true
			i += j + 1
		case c == ' ' || c == '\t':
			endWord()
		case c == '#' && !inWord:
			endCmd()
			return cmds
		case c == '|' || c == '&' || c == ';' || c == ')' || c == '(':
			endCmd()
		case (c == '<' || c == '$') && i+1 < len(line) && line[i+1] == '(':
			endCmd()
			i++
		case c == '>' || c == '<':
			if inWord && word.String() == "2" { // 2>
				word.Reset()
				inWord = false
			}
			endWord()
			for i+1 < len(line) && (line[i+1] == '>' || line[i+1] == '&') {
				i++
			}
			skipNext = true
		default:
			word.WriteByte(c)
			inWord = true
		}
	}
	endCmd()
	return cmds
}
