package templates

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"text/template"
	"time"

	"wenshu/calendar"
	"wenshu/docgen"
)

//go:embed all:builtin
var builtinFS embed.FS

// Options configures a Registry.
type Options struct {
	// Dir is an extra folder of templates (--templates-dir), one sub-folder
	// per template, loaded after the built-in ones.
	Dir string
	// HolidayDir is an extra folder of holiday tables (*.json in the shape of
	// holidays-cn.json) for years the built-in table lacks.
	HolidayDir string
	// Calendar is the working-day calendar to share with package deadline
	// (calendar.Builtin plus the admin's folder). Nil means the built-in
	// tables plus HolidayDir; when set, HolidayDir is not read again.
	Calendar *calendar.Calendar
	// Fonts are the typefaces written into documents; zero means the
	// standard ones.
	Fonts docgen.Fonts
	// Now gives today's date for documents without one; nil means time.Now.
	Now func() time.Time
}

// Registry holds the loaded templates, by id. It is built once at start
// and read-only afterwards, except for holiday tables added at run time
// (AddHolidayTable), which the calendar guards itself.
type Registry struct {
	byID  map[string]*Template
	ids   []string
	cal   *Calendar
	fonts docgen.Fonts
	now   func() time.Time
}

// New loads the built-in templates, then those of opts.Dir. A duplicate id
// is an error, as is a template whose example does not validate and
// render.
func New(opts Options) (*Registry, error) {
	cal := opts.Calendar
	if cal == nil {
		var err error
		if cal, err = calendar.Builtin(); err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
		if opts.HolidayDir != "" {
			if err := cal.AddDir(opts.HolidayDir); err != nil {
				return nil, fmt.Errorf("templates: %w", err)
			}
		}
	}
	r := &Registry{byID: map[string]*Template{}, cal: cal, fonts: opts.Fonts, now: opts.Now}
	if r.now == nil {
		r.now = time.Now
	}
	sub, err := fs.Sub(builtinFS, "builtin")
	if err != nil {
		return nil, fmt.Errorf("templates: builtin: %w", err)
	}
	if err := r.load(sub, "builtin"); err != nil {
		return nil, err
	}
	if opts.Dir != "" {
		if err := r.load(os.DirFS(opts.Dir), opts.Dir); err != nil {
			return nil, err
		}
	}
	sort.Strings(r.ids)
	if err := r.checkCites(); err != nil {
		return nil, err
	}
	return r, nil
}

// checkCites makes sure every field's cites names a loaded template.
func (r *Registry) checkCites() error {
	for _, id := range r.ids {
		for _, f := range r.byID[id].Fields {
			if f.Cites == "" {
				continue
			}
			if _, ok := r.byID[f.Cites]; !ok {
				return fmt.Errorf("templates: %s: field %s cites unknown template %q", id, f.Name, f.Cites)
			}
		}
	}
	return nil
}

// Calendar returns the working-day calendar.
func (r *Registry) Calendar() *Calendar { return r.cal }

// Get returns the template with the given id.
func (r *Registry) Get(id string) (*Template, error) {
	t, ok := r.byID[id]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownTemplate, id)
	}
	return t, nil
}

// All returns every template, sorted by id.
func (r *Registry) All() []*Template {
	out := make([]*Template, 0, len(r.ids))
	for _, id := range r.ids {
		out = append(out, r.byID[id])
	}
	return out
}

func (r *Registry) load(fsys fs.FS, where string) error {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return fmt.Errorf("templates: read %s: %w", where, err)
	}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		t, err := r.loadOne(fsys, e.Name())
		if err != nil {
			return fmt.Errorf("templates: %s/%s: %w", where, e.Name(), err)
		}
		if _, dup := r.byID[t.ID]; dup {
			return fmt.Errorf("templates: %s/%s: duplicate template id %q", where, e.Name(), t.ID)
		}
		r.byID[t.ID] = t
		r.ids = append(r.ids, t.ID)
	}
	return nil
}

func (r *Registry) loadOne(fsys fs.FS, dir string) (*Template, error) {
	read := func(name string) ([]byte, error) { return fs.ReadFile(fsys, path.Join(dir, name)) }
	raw, err := read("manifest.json")
	if err != nil {
		return nil, err
	}
	t := &Template{byName: map[string]*Field{}}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t.Manifest); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	if t.ID != dir {
		return nil, fmt.Errorf("manifest id %q differs from its folder", t.ID)
	}
	if err := t.Manifest.check(); err != nil {
		return nil, err
	}
	for i := range t.Fields {
		t.byName[t.Fields[i].Name] = &t.Fields[i]
	}
	body, err := read("body.tmpl")
	if err != nil {
		return nil, err
	}
	t.body, err = template.New(t.ID).Option("missingkey=error").Funcs(r.funcs()).Parse(string(body))
	if err != nil {
		return nil, fmt.Errorf("body.tmpl: %w", err)
	}
	ex, err := read("example.json")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(ex, &t.example); err != nil {
		return nil, fmt.Errorf("example.json: %w", err)
	}
	if _, err := r.render(t, RenderRequest{TemplateID: t.ID, Fields: t.example}, false); err != nil {
		return nil, fmt.Errorf("example.json does not render: %w", err)
	}
	return t, nil
}

// fieldErr builds a FieldErrors of one error.
func fieldErr(field, code, msg string) error {
	return FieldErrors{{Field: field, Code: code, Message: msg}}
}

// funcs are the functions template bodies may call.
func (r *Registry) funcs() template.FuncMap {
	return template.FuncMap{
		// workdays gives the n-th working day after a date (the day itself
		// not counted), from the holiday tables; a missing year fails with
		// the date's field named.
		"workdays": func(d Date, n int) (Date, error) {
			if d.IsZero() {
				return Date{}, nil
			}
			t, err := r.cal.AddWorkdays(d.Time, n)
			var miss *MissingYearError
			if errors.As(err, &miss) {
				return Date{}, fieldErr(d.Field, CodeHolidayMissing,
					fmt.Sprintf("缺少%d年节假日安排表，无法计算%d个工作日的期限；请管理员补充该年度的节假日表", miss.Year, n))
			}
			if err != nil {
				return Date{}, err
			}
			return Date{Time: t, Field: d.Field}, nil
		},
		// adddays adds calendar days (e.g. a 30-day period).
		"adddays": func(d Date, n int) Date {
			if d.IsZero() {
				return d
			}
			return Date{Time: d.AddDate(0, 0, n), Field: d.Field}
		},
		// secret writes the 密级和保密期限 mark (秘密★1年); 公开 and 内部 print
		// nothing in the 版头.
		"secret": func(level, period string) string {
			if level != "秘密" && level != "机密" && level != "绝密" {
				return ""
			}
			if period == "" {
				return level
			}
			return level + "★" + period
		},
		"join": func(list []string, sep string) string { return strings.Join(list, sep) },
		"add":  func(a, b int) int { return a + b },
		"cnnum": func(n int) string {
			return docgen.ChineseNumber(n)
		},
		// first returns the first non-empty string.
		"first": func(vals ...string) string {
			for _, v := range vals {
				if v != "" {
					return v
				}
			}
			return ""
		},
	}
}
