//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// The child's side of TestProfileIsWrittenWhenASignalEndsTheProgram: a
// program that runs until a signal ends it.
func TestMain(m *testing.M) {
	if path := os.Getenv("LEASETOP_TEST_PROFILE_CHILD"); path != "" {
		os.Exit(profiled(path, func() int {
			os.WriteFile(path+".ready", nil, 0o600)
			select {}
		}))
	}
	os.Exit(m.Run())
}

// A benchmark or tmux stops leasetop with SIGHUP or SIGTERM; its CPU
// profile (LEASETOP_CPUPROFILE) must be written all the same, not left
// empty.
func TestProfileIsWrittenWhenASignalEndsTheProgram(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cpu.prof")
			cmd := exec.Command(os.Args[0], "-test.run", "^$")
			cmd.Env = append(os.Environ(), "LEASETOP_TEST_PROFILE_CHILD="+path)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
				if _, err := os.Stat(path + ".ready"); err == nil {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatal("the child never started its program")
				}
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 128+int(sig) {
				t.Errorf("the child ended with %v, want exit status %d", err, 128+int(sig))
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			// A profile is gzipped protocol buffers: empty when it was never
			// stopped.
			if !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
				t.Errorf("the profile holds %d bytes, not a gzipped profile", len(b))
			}
		})
	}
}
