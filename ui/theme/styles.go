// Package theme holds every colour leasetop draws with.
package theme

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// Styles is every style the UI draws with, built once for the terminal's
// background. Colour is only ever a hint: urgency also shows as text
// ("expired", a '!' marker), so NO_COLOR and monochrome terminals lose
// nothing (Bubble Tea downsamples colours to what the terminal supports
// and drops them under NO_COLOR).
type Styles struct {
	Title, Dim, Bold                 lipgloss.Style
	PaneFocused, PaneBlurred         lipgloss.Style
	Selected, SelectedBlurred        lipgloss.Style
	Header                           lipgloss.Style
	Expired, Critical, Warning, OK   lipgloss.Style
	NoExpiry, Gone, Pending, Marked  lipgloss.Style
	StatusErr, StatusOK, StatusWarn  lipgloss.Style
	Dialog, DialogDanger, DialogHint lipgloss.Style
}

// New picks colours that read on a dark or a light background.
func New(dark bool) Styles {
	ld := lipgloss.LightDark(dark)
	c := func(light, darkc string) color.Color { return ld(lipgloss.Color(light), lipgloss.Color(darkc)) }
	accent := c("#005FD7", "#5FAFFF")
	dim := c("#6C6C6C", "#8A8A8A")
	red := c("#AF0000", "#FF5F5F")
	orange := c("#AF5F00", "#FFAF00")
	yellow := c("#875F00", "#D7D75F")
	green := c("#005F00", "#5FD787")
	selBg := c("#D0E4FF", "#264F78")
	selBlurBg := c("#E4E4E4", "#3A3A3A")

	return Styles{
		Title:           lipgloss.NewStyle().Bold(true).Foreground(accent),
		Dim:             lipgloss.NewStyle().Foreground(dim),
		Bold:            lipgloss.NewStyle().Bold(true),
		PaneFocused:     lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(accent),
		PaneBlurred:     lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(dim),
		Selected:        lipgloss.NewStyle().Background(selBg).Bold(true),
		SelectedBlurred: lipgloss.NewStyle().Background(selBlurBg),
		Header:          lipgloss.NewStyle().Bold(true),
		Expired:         lipgloss.NewStyle().Foreground(red).Bold(true),
		Critical:        lipgloss.NewStyle().Foreground(red),
		Warning:         lipgloss.NewStyle().Foreground(orange),
		OK:              lipgloss.NewStyle().Foreground(green),
		NoExpiry:        lipgloss.NewStyle().Foreground(dim),
		Gone:            lipgloss.NewStyle().Foreground(dim).Strikethrough(true),
		Pending:         lipgloss.NewStyle().Foreground(dim).Italic(true),
		Marked:          lipgloss.NewStyle().Foreground(yellow).Bold(true),
		StatusErr:       lipgloss.NewStyle().Foreground(red).Bold(true),
		StatusOK:        lipgloss.NewStyle().Foreground(green),
		StatusWarn:      lipgloss.NewStyle().Foreground(orange),
		Dialog:          lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(accent).Padding(0, 1),
		DialogDanger:    lipgloss.NewStyle().Border(lipgloss.ThickBorder()).BorderForeground(red).Padding(0, 1),
		DialogHint:      lipgloss.NewStyle().Foreground(dim),
	}
}
