package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// KeyMap is the one keymap: every key a screen or the root answers is a
// binding here, and the screens declare which they answer (KeyAction),
// which fills the help line under each and the full help on '?'.
type KeyMap struct {
	Up, Down, Top, Bottom, PageUp, PageDown key.Binding
	Collapse, Expand, Focus, Open           key.Binding
	Filter, Sort, TreeSort, Refresh         key.Binding
	Renew, Revoke, Mark, MarkAll            key.Binding
	RenewMarked, RevokeMarked               key.Binding
	RevokePrefix, ForceRevokePrefix         key.Binding
	Help, Quit, Back                        key.Binding
	Radar, Irrevocable, Window              key.Binding
	// Interrupt quits from anywhere, even with a dialog or an input open.
	Interrupt key.Binding
	// Command opens the command line (:ctx NAME, :ns NAME).
	Command key.Binding
	// The owners screen's: Owners opens it, GroupBy regroups, OwnerLeases
	// opens an owner's leases, RevokeOwner revokes them and RevokeTokens
	// the owner's tokens.
	Owners, GroupBy, OwnerLeases, RevokeOwner, RevokeTokens key.Binding
	// The irrevocable screen's: ForceRevoke force-revokes a lease,
	// ForceRevokeMount every irrevocable lease of its mount.
	ForceRevoke, ForceRevokeMount key.Binding
	// The hygiene screen's: Hygiene opens it, FixFinding takes the
	// selected finding's action.
	Hygiene, FixFinding key.Binding
}

// DefaultKeyMap has vim keys and arrows side by side.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:                key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:              key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Top:               key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "top")),
		Bottom:            key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "bottom")),
		PageUp:            key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown:          key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgdn", "page down")),
		Collapse:          key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "collapse / parent")),
		Expand:            key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", "expand")),
		Focus:             key.NewBinding(key.WithKeys("tab", "shift+tab"), key.WithHelp("tab", "tree/table")),
		Open:              key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
		Filter:            key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter ids")),
		Sort:              key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "cycle sort")),
		TreeSort:          key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "tree: name/count/growth")),
		Refresh:           key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp("ctrl+r", "refresh now")),
		Renew:             key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "renew")),
		Revoke:            key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "revoke")),
		Mark:              key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "mark")),
		MarkAll:           key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "mark all shown / none")),
		RenewMarked:       key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "renew marked")),
		RevokeMarked:      key.NewBinding(key.WithKeys("X"), key.WithHelp("X", "revoke marked")),
		RevokePrefix:      key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "revoke prefix")),
		ForceRevokePrefix: key.NewBinding(key.WithKeys("F"), key.WithHelp("F", "force-revoke prefix")),
		Owners:            key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "owners: who made them")),
		GroupBy:           key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "owners: group by…")),
		OwnerLeases:       key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "leases")),
		RevokeOwner:       key.NewBinding(key.WithKeys("x", "X"), key.WithHelp("x", "revoke its leases")),
		RevokeTokens:      key.NewBinding(key.WithKeys("T"), key.WithHelp("T", "owners: revoke tokens")),
		ForceRevoke:       key.NewBinding(key.WithKeys("x", "F"), key.WithHelp("x", "force-revoke")),
		ForceRevokeMount:  key.NewBinding(key.WithKeys("X", "P"), key.WithHelp("X", "force-revoke its mount")),
		Help:              key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:              key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Back:              key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back / clear")),
		Interrupt:         key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Command:           key.NewBinding(key.WithKeys(":"), key.WithHelp(":", "command: ctx, ns")),
		Radar:             key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "expiry radar")),
		Irrevocable:       key.NewBinding(key.WithKeys("I"), key.WithHelp("I", "irrevocable leases")),
		Hygiene:           key.NewBinding(key.WithKeys("D"), key.WithHelp("D", "hygiene: doctor")),
		FixFinding:        key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "fix the finding")),
		Window:            key.NewBinding(key.WithKeys("1", "2", "3", "4"), key.WithHelp("1-4", "radar: 5m/1h/24h/custom")),
	}
}

// dangerous are the bindings that change Vault: read-only mode turns
// them off, and help says so.
func (k *KeyMap) dangerous() []*key.Binding {
	return []*key.Binding{&k.Renew, &k.Revoke, &k.RenewMarked, &k.RevokeMarked, &k.RevokePrefix, &k.ForceRevokePrefix, &k.RevokeOwner, &k.RevokeTokens, &k.ForceRevoke, &k.ForceRevokeMount, &k.FixFinding}
}

// readOnly relabels every mutating key so help says why it does nothing;
// the action guard refuses them with the same reason.
func (k KeyMap) readOnly(why string) KeyMap {
	for _, b := range k.dangerous() {
		h := b.Help()
		b.SetHelp(h.Key, h.Desc+" (off: "+why+")")
	}
	return k
}

// helpLayout is where each binding goes in the full help on '?': one
// column per area. It places keys; what is shown is what the screens
// declare (fullHelp).
func (k KeyMap) helpLayout() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown, k.Collapse, k.Expand, k.Focus},
		{k.Open, k.Filter, k.Sort, k.TreeSort, k.Refresh, k.Radar, k.Window, k.Irrevocable, k.Hygiene, k.Command, k.Back, k.Help, k.Quit},
		{k.Renew, k.Revoke, k.Mark, k.MarkAll, k.RenewMarked, k.RevokeMarked, k.RevokePrefix, k.ForceRevokePrefix,
			k.Owners, k.GroupBy, k.OwnerLeases, k.RevokeOwner, k.RevokeTokens, k.ForceRevoke, k.ForceRevokeMount, k.FixFinding},
	}
}

// KeyAction is one key a screen answers, as its help tells it (k9s's
// KeyAction): each screen declares its actions, the Short ones fill the
// help line under it, in order, and all of them the full help.
type KeyAction struct {
	key.Binding
	Short bool
}

// keyActions is a screen's declaration: short on its help line, in
// order, then the rest of what it answers, for the full help only.
func keyActions(short []key.Binding, rest ...key.Binding) []KeyAction {
	as := make([]KeyAction, 0, len(short)+len(rest))
	seen := map[key.Help]bool{}
	for i, bs := range [][]key.Binding{short, rest} {
		for _, b := range bs {
			if !seen[b.Help()] {
				seen[b.Help()] = true
				as = append(as, KeyAction{Binding: b, Short: i == 0})
			}
		}
	}
	return as
}

// shortHelp is the help line of a screen that declares as: help first,
// quit last, the screen's short actions between.
func (k KeyMap) shortHelp(as []KeyAction) []key.Binding {
	bs := []key.Binding{k.Help}
	for _, a := range as {
		if a.Short && a.Help() != k.Help.Help() && a.Help() != k.Quit.Help() {
			bs = append(bs, a.Binding)
		}
	}
	return append(bs, k.Quit)
}

// fullHelp is the '?' help: every declared action, in the layout's
// columns, each key once (the first area that names it), and what the
// layout does not place in the last column.
func (k KeyMap) fullHelp(declared []KeyAction) [][]key.Binding {
	want := map[key.Help]bool{}
	for _, a := range declared {
		want[a.Help()] = true
	}
	shown := map[string]bool{}
	placed := map[key.Help]bool{}
	layout := k.helpLayout()
	cols := make([][]key.Binding, len(layout))
	for i, col := range layout {
		for _, b := range col {
			placed[b.Help()] = true
			if want[b.Help()] && !shown[b.Help().Key] {
				shown[b.Help().Key] = true
				cols[i] = append(cols[i], b)
			}
		}
	}
	for _, a := range declared {
		if !placed[a.Help()] && !shown[a.Help().Key] {
			shown[a.Help().Key] = true
			cols[len(cols)-1] = append(cols[len(cols)-1], a.Binding)
		}
	}
	return cols
}

// movement is how far a movement key moves a cursor (page rows a page),
// and whether k is one.
func (k KeyMap) movement(msg tea.KeyPressMsg, page int) (int, bool) {
	switch {
	case key.Matches(msg, k.Up):
		return -1, true
	case key.Matches(msg, k.Down):
		return 1, true
	case key.Matches(msg, k.PageUp):
		return -page, true
	case key.Matches(msg, k.PageDown):
		return page, true
	case key.Matches(msg, k.Top):
		return -1 << 30, true
	case key.Matches(msg, k.Bottom):
		return 1 << 30, true
	}
	return 0, false
}
