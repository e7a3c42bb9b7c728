package ui

import (
	"reflect"
	"testing"
)

// The root's state stays small: Model's fields, what it embeds (app, and
// the root it embeds) and Common hold at most 30 fields together. The
// data the screens read (domainData) is counted apart: Common carries a
// pointer to it, not its fields.
func TestTheRootStateHoldsAtMostThirtyFields(t *testing.T) {
	n := 0
	for _, typ := range []reflect.Type{reflect.TypeFor[Model](), reflect.TypeFor[app](), reflect.TypeFor[root](), reflect.TypeFor[Common]()} {
		n += typ.NumField()
	}
	if n > 30 {
		t.Errorf("Model, app, root and Common hold %d fields, want at most 30", n)
	}
	c := reflect.TypeFor[Common]()
	for i := range c.NumField() {
		if f := c.Field(i); f.Type == reflect.TypeFor[*domainData]() && f.Anonymous {
			t.Errorf("Common embeds %s: its fields would count as Common's", f.Name)
		}
	}
}
