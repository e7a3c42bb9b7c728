package cli

import "testing"

// The exit codes scripts and monitoring act on: check's, as monitoring
// plugins expect them, and who's. The tests compare with the constants,
// so their numbers are pinned here.
func TestExitCodesKeepTheirNumbers(t *testing.T) {
	for _, tt := range []struct {
		name      string
		got, want int
	}{
		{"exitOK", exitOK, 0},
		{"exitWarning", exitWarning, 1},
		{"exitCritical", exitCritical, 2},
		{"exitUnknown", exitUnknown, 3},
		{"whoKnown", whoKnown, 0},
		{"whoUnknown", whoUnknown, 3},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %d, want %d", tt.name, tt.got, tt.want)
		}
	}
}
