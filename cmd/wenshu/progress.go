package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress draws a one-line progress bar on a terminal stream.
type progress struct {
	w     io.Writer
	label string
	start time.Time
	last  time.Time
	drawn bool
	total int
	n     int
}

func newProgress(w io.Writer, label string) *progress {
	return &progress{w: w, label: label, start: time.Now()}
}

// update records done of total and redraws at most ten times a second.
func (p *progress) update(done, total int) {
	p.n, p.total = done, total
	if time.Since(p.last) < 100*time.Millisecond && done < total {
		return
	}
	p.last = time.Now()
	p.draw()
}

func (p *progress) draw() {
	const width = 30
	filled := 0
	pct := 100.0
	if p.total > 0 {
		filled = width * p.n / p.total
		pct = 100 * float64(p.n) / float64(p.total)
	}
	rate := float64(p.n) / time.Since(p.start).Seconds()
	fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d %5.1f%% %.0f/s", p.label, strings.Repeat("=", filled), strings.Repeat(" ", width-filled), p.n, p.total, pct, rate)
	p.drawn = true
}

// done ends the bar's line.
func (p *progress) done() {
	if p.drawn {
		p.draw()
		fmt.Fprintln(p.w)
	}
}
