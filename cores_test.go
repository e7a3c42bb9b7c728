package main

import (
	"runtime"
	"testing"
)

func TestShareCoresLeavesHalfTheCoresUnlessGOMAXPROCSIsSet(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, tc := range []struct {
		name  string
		procs int    // the runtime's default before
		env   string // GOMAXPROCS
		want  int
	}{
		{"two cores, one for leasetop", 2, "", 1},
		{"one core stays one", 1, "", 1},
		{"eight cores, four", 8, "", 4},
		{"an odd count rounds down", 5, "", 2},
		{"GOMAXPROCS set: the runtime already took it", 3, "3", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runtime.GOMAXPROCS(tc.procs)
			if got := shareCores(tc.env); got != tc.want {
				t.Errorf("shareCores(%q) with %d Ps = %d, want %d", tc.env, tc.procs, got, tc.want)
			}
			if got := runtime.GOMAXPROCS(0); got != tc.want {
				t.Errorf("the runtime runs %d Ps after shareCores, want %d", got, tc.want)
			}
		})
	}
}
