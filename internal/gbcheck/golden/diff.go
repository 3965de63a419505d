package golden

import (
	"fmt"
	"strings"
)

// context is the number of unchanged lines shown around a change.
const context = 3

// maxLCS bounds the table of the line diff; beyond it the changed middle
// is shown as removed and added whole.
const maxLCS = 4 << 20

// op is one line of an edit script: ' ' kept, '-' only in want, '+' only
// in got; a and b are its line numbers (from 1) on each side.
type op struct {
	kind byte
	line string
	a, b int
}

// Diff returns a unified diff (-want +got) of two texts, "" when they are
// equal.
func Diff(want, got string) string {
	if want == got {
		return ""
	}
	ops := editScript(strings.SplitAfter(want, "\n"), strings.SplitAfter(got, "\n"))
	var b strings.Builder
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(i-context, 0)
		end := i
		for j := i; j < len(ops) && j-end <= 2*context; j++ {
			if ops[j].kind != ' ' {
				end = j
			}
		}
		end = min(end+context+1, len(ops))
		writeHunk(&b, ops[start:end])
		i = end
	}
	return b.String()
}

func writeHunk(b *strings.Builder, h []op) {
	var na, nb int
	for _, o := range h {
		if o.kind != '+' {
			na++
		}
		if o.kind != '-' {
			nb++
		}
	}
	fmt.Fprintf(b, "@@ -%d,%d +%d,%d @@\n", h[0].a, na, h[0].b, nb)
	for _, o := range h {
		line := strings.TrimSuffix(o.line, "\n")
		b.WriteByte(o.kind)
		b.WriteString(line)
		b.WriteByte('\n')
	}
}

// editScript keeps the common head and tail of a and b and diffs the
// middle by longest common subsequence.
func editScript(a, b []string) []op {
	head := 0
	for head < len(a) && head < len(b) && a[head] == b[head] {
		head++
	}
	tail := 0
	for tail < len(a)-head && tail < len(b)-head && a[len(a)-1-tail] == b[len(b)-1-tail] {
		tail++
	}
	var ops []op
	ia, ib := 0, 0
	emit := func(kind byte, line string) {
		o := op{kind: kind, line: line, a: ia + 1, b: ib + 1}
		if kind != '+' {
			ia++
		}
		if kind != '-' {
			ib++
		}
		ops = append(ops, o)
	}
	for _, l := range a[:head] {
		emit(' ', l)
	}
	ma, mb := a[head:len(a)-tail], b[head:len(b)-tail]
	for _, o := range middle(ma, mb) {
		emit(o.kind, o.line)
	}
	for _, l := range a[len(a)-tail:] {
		emit(' ', l)
	}
	return ops
}

// middle diffs two runs of lines by a longest-common-subsequence table.
func middle(a, b []string) []op {
	var ops []op
	if len(a)*len(b) > maxLCS {
		for _, l := range a {
			ops = append(ops, op{kind: '-', line: l})
		}
		for _, l := range b {
			ops = append(ops, op{kind: '+', line: l})
		}
		return ops
	}
	// lcs[i][j] is the LCS length of a[i:] and b[j:].
	w := len(b) + 1
	lcs := make([]int32, (len(a)+1)*w)
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			} else {
				lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			ops = append(ops, op{kind: ' ', line: a[i]})
			i, j = i+1, j+1
		case i < len(a) && (j == len(b) || lcs[(i+1)*w+j] >= lcs[i*w+j+1]):
			ops = append(ops, op{kind: '-', line: a[i]})
			i++
		default:
			ops = append(ops, op{kind: '+', line: b[j]})
			j++
		}
	}
	return ops
}
