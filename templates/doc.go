// Package templates holds the official document templates as data: each one
// is a folder with a manifest (field schema), a body in a small markup filled
// by text/template, and an example. The package loads them into a Registry,
// validates field values (returning every bad field at once as FieldErrors),
// computes Chinese dates and working-day deadlines, and fills a template into
// a docgen.Document. It knows nothing of HTTP, storage or search.
package templates
