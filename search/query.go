package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of the query language.
const (
	MaxQueryRunes = 512 // longer q is a query_too_long error
	MaxQueryTerms = 32  // terms, phrases and field terms in one q
	MaxQueryDepth = 8   // nested parentheses
)

// node is the parsed form of a query string.
type node interface{ isNode() }

type leafKind int

const (
	leafTerm   leafKind = iota // bare word: words and exact substring
	leafPhrase                 // "quoted": exact phrase only
	leafField                  // 文号:… exact keyword
)

type leaf struct {
	kind  leafKind
	field string // for leafField: doc_number, archive_code, person, case
	text  string
}

type notNode struct{ child node }
type andNode struct{ children []node }
type orNode struct{ children []node }

func (*leaf) isNode()    {}
func (*notNode) isNode() {}
func (*andNode) isNode() {}
func (*orNode) isNode()  {}

// fieldPrefixes maps the prefixes a user may type to the keyword field.
var fieldPrefixes = map[string]string{
	"文号": "doc_number", "doc_number": "doc_number",
	"档号": "archive_code", "archive_code": "archive_code",
	"人员": "person", "person": "person",
	"案件": "case", "case": "case", "case_no": "case",
}

var fieldNamesZH = map[string]string{
	"doc_number": "文号", "archive_code": "档号", "person": "人员", "case": "案件",
}

type tokKind int

const (
	tkEOF tokKind = iota
	tkWord
	tkPhrase
	tkField
	tkLParen
	tkRParen
	tkOR
	tkAND
	tkNOT // NOT or a leading -
)

type qtoken struct {
	kind  tokKind
	text  string
	field string
}

func isQuote(r rune) bool { return r == '"' || r == '“' || r == '”' }

func isSpaceRune(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }

// lexQuery splits q into tokens. See README.md for the grammar.
func lexQuery(q string) ([]qtoken, error) {
	rs := []rune(q)
	var out []qtoken
	readPhrase := func(i int) (string, int, error) { // rs[i] is a quote
		for j := i + 1; j < len(rs); j++ {
			if isQuote(rs[j]) {
				return string(rs[i+1 : j]), j + 1, nil
			}
		}
		return "", 0, qerr("q", CodeUnbalancedQuote, "引号不成对：第 %d 个字符处的引号没有结束", i+1)
	}
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case isSpaceRune(r):
			i++
		case r == '(':
			out = append(out, qtoken{kind: tkLParen})
			i++
		case r == ')':
			out = append(out, qtoken{kind: tkRParen})
			i++
		case isQuote(r):
			text, next, err := readPhrase(i)
			if err != nil {
				return nil, err
			}
			out = append(out, qtoken{kind: tkPhrase, text: text})
			i = next
		case r == '-':
			// a leading minus negates what follows; a lone one is ignored
			if i+1 < len(rs) && !isSpaceRune(rs[i+1]) && rs[i+1] != ')' {
				out = append(out, qtoken{kind: tkNOT})
			}
			i++
		default:
			j := i
			for j < len(rs) && !isSpaceRune(rs[j]) && rs[j] != '(' && rs[j] != ')' && !isQuote(rs[j]) {
				j++
			}
			word := string(rs[i:j])
			i = j
			switch word {
			case "OR", "|", "||":
				out = append(out, qtoken{kind: tkOR})
				continue
			case "AND", "&&":
				out = append(out, qtoken{kind: tkAND})
				continue
			case "NOT":
				out = append(out, qtoken{kind: tkNOT})
				continue
			}
			if field, value, ok := splitField(word); ok {
				if value == "" && i < len(rs) && isQuote(rs[i]) {
					text, next, err := readPhrase(i)
					if err != nil {
						return nil, err
					}
					value, i = text, next
				}
				value = strings.TrimSpace(value)
				if value == "" {
					return nil, qerr("q", CodeEmptyFieldValue, "“%s:” 后面缺少要查找的值", fieldNamesZH[field])
				}
				out = append(out, qtoken{kind: tkField, field: field, text: value})
				continue
			}
			out = append(out, qtoken{kind: tkWord, text: word})
		}
	}
	return out, nil
}

// splitField recognises 文号:值 / doc_number:值 (ASCII or full-width colon).
func splitField(word string) (field, value string, ok bool) {
	i := strings.IndexAny(word, ":：")
	if i <= 0 {
		return "", "", false
	}
	f, found := fieldPrefixes[strings.ToLower(word[:i])]
	if !found {
		return "", "", false
	}
	_, n := utf8.DecodeRuneInString(word[i:])
	return f, word[i+n:], true
}

type parser struct {
	toks  []qtoken
	i     int
	terms int
}

func (p *parser) peek() tokKind {
	if p.i >= len(p.toks) {
		return tkEOF
	}
	return p.toks[p.i].kind
}

// parseQuery parses q. A nil node (empty q, or only punctuation) matches
// every document the caller may see.
func parseQuery(q string) (node, error) {
	if !utf8.ValidString(q) {
		return nil, qerr("q", CodeBadEncoding, "查询不是有效的 UTF-8 文本")
	}
	if n := utf8.RuneCountInString(q); n > MaxQueryRunes {
		return nil, qerr("q", CodeQueryTooLong, "查询过长：%d 个字符，最多 %d 个", n, MaxQueryRunes)
	}
	toks, err := lexQuery(q)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	n, err := p.parseAnd(0)
	if err != nil {
		return nil, err
	}
	if p.peek() == tkRParen {
		return nil, qerr("q", CodeUnbalancedParen, "括号不成对：多了一个“)”")
	}
	return n, nil
}

func (p *parser) parseAnd(depth int) (node, error) {
	var items []node
	for {
		switch p.peek() {
		case tkEOF, tkRParen:
			return simplifyAnd(items), nil
		case tkOR:
			return nil, qerr("q", CodeDanglingOperator, "OR 两边都需要查询词")
		case tkAND:
			p.i++
			if k := p.peek(); k == tkEOF || k == tkRParen || k == tkOR || k == tkAND || len(items) == 0 {
				return nil, qerr("q", CodeDanglingOperator, "AND 两边都需要查询词")
			}
			continue
		}
		n, err := p.parseOr(depth)
		if err != nil {
			return nil, err
		}
		if n != nil {
			items = append(items, n)
		}
	}
}

func simplifyAnd(items []node) node {
	switch len(items) {
	case 0:
		return nil
	case 1:
		return items[0]
	}
	return &andNode{children: items}
}

func (p *parser) parseOr(depth int) (node, error) {
	first, err := p.parseUnary(depth)
	if err != nil {
		return nil, err
	}
	var alts []node
	if first != nil {
		alts = append(alts, first)
	}
	sawOr := false
	for p.peek() == tkOR {
		sawOr = true
		p.i++
		if k := p.peek(); k == tkEOF || k == tkRParen || k == tkOR || k == tkAND {
			return nil, qerr("q", CodeDanglingOperator, "OR 两边都需要查询词")
		}
		n, err := p.parseUnary(depth)
		if err != nil {
			return nil, err
		}
		if n != nil {
			alts = append(alts, n)
		}
	}
	if !sawOr || len(alts) <= 1 {
		if len(alts) == 0 {
			return nil, nil
		}
		return alts[0], nil
	}
	return &orNode{children: alts}, nil
}

func (p *parser) parseUnary(depth int) (node, error) {
	if p.peek() == tkNOT {
		p.i++
		if k := p.peek(); k == tkEOF || k == tkRParen || k == tkOR || k == tkAND {
			return nil, qerr("q", CodeDanglingOperator, "排除符号“-”或 NOT 后面需要查询词")
		}
		child, err := p.parseUnary(depth)
		if err != nil || child == nil {
			return nil, err
		}
		if n, ok := child.(*notNode); ok {
			return n.child, nil // - -x is x
		}
		return &notNode{child: child}, nil
	}
	return p.parsePrimary(depth)
}

func (p *parser) parsePrimary(depth int) (node, error) {
	if p.i >= len(p.toks) {
		return nil, nil
	}
	t := p.toks[p.i]
	switch t.kind {
	case tkLParen:
		if depth+1 > MaxQueryDepth {
			return nil, qerr("q", CodeTooDeep, "括号嵌套过深，最多 %d 层", MaxQueryDepth)
		}
		p.i++
		n, err := p.parseAnd(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.peek() != tkRParen {
			return nil, qerr("q", CodeUnbalancedParen, "括号不成对：缺少“)”")
		}
		p.i++
		return n, nil
	case tkRParen:
		return nil, qerr("q", CodeUnbalancedParen, "括号不成对：多了一个“)”")
	case tkWord, tkPhrase, tkField:
		p.i++
		var l *leaf
		switch t.kind {
		case tkWord:
			l = &leaf{kind: leafTerm, text: t.text}
		case tkPhrase:
			l = &leaf{kind: leafPhrase, text: strings.TrimSpace(t.text)}
		default:
			l = &leaf{kind: leafField, field: t.field, text: t.text}
		}
		if l.kind != leafField && !hasWordRune(l.text) {
			return nil, nil // punctuation only: nothing to look for
		}
		p.terms++
		if p.terms > MaxQueryTerms {
			return nil, qerr("q", CodeTooManyTerms, "查询词过多，最多 %d 个", MaxQueryTerms)
		}
		return l, nil
	}
	// tkOR / tkAND / tkNOT are handled by the callers
	return nil, qerr("q", CodeDanglingOperator, "运算符位置不对")
}
