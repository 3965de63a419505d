// Package calendar knows the working days (工作日) of China: Monday to
// Friday, less the statutory holidays (放假), plus the make-up working days
// (调休上班) of the State Council's annual notice. The tables are data, one
// JSON object per file (holidays/holidays-cn.json is embedded); an admin adds
// a year by dropping a file of the same shape in a folder or by uploading
// one, which ParseTable validates field by field.
//
// It knows nothing of documents, HTTP or storage: templates (deadlines
// printed in a letter, where a year without a table is an error) and
// deadline (due dates tracked by the case loop, where such a date is only
// provisional) both build on it.
package calendar
