package overfit

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"image"
	"image/png"
	"path/filepath"

	"animeface/internal/atomicfile"
	"animeface/internal/montage"
)

// Files written by Write into the report folder.
const (
	MontageName = "montage.png"
	JSONName    = "report.json"
	HoldoutName = "holdout.json"
	HTMLName    = "report.html"
)

// montageColumns and htmlRows cap the generated faces shown in
// montage.png and report.html; report.json lists them all.
const (
	montageColumns = 32
	htmlRows       = 200
)

// Write writes montage.png, report.json, report.html and, with held-out
// faces, holdout.json into dir, each atomically.
func Write(dir string, rep *Report) error {
	if err := montage.WritePNG(filepath.Join(dir, MontageName), Montage(rep)); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(dir, JSONName), reportJSON(rep)); err != nil {
		return err
	}
	if rep.Holdout != nil {
		if err := writeJSON(filepath.Join(dir, HoldoutName), rep.Holdout); err != nil {
			return err
		}
	}
	page, err := HTML(rep)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, HTMLName), page, 0o644)
}

// Montage lays the report out as the original IllustrationGAN picture did:
// the generated faces in the top row and, under each, its nearest training
// faces, nearest first, with thin gaps.
func Montage(rep *Report) *image.NRGBA {
	qs := rep.Queries[:min(len(rep.Queries), montageColumns)]
	cols := len(qs)
	cells := make([]image.Image, (rep.K+1)*cols)
	for c, q := range qs {
		cells[c] = q.Image
		for r, nb := range q.Neighbours {
			if nb.Image != nil {
				cells[(r+1)*cols+c] = nb.Image
			}
		}
	}
	return montage.Grid(cells, cols, 2)
}

// jsonReport is the layout of report.json.
type jsonReport struct {
	Queries []jsonQuery `json:"queries"`
}

type jsonQuery struct {
	Image      string          `json:"image"`
	Neighbours []jsonNeighbour `json:"neighbours"`
}

type jsonNeighbour struct {
	Key    string  `json:"key"`
	Source string  `json:"source"`
	MSE    float64 `json:"mse"`
}

func reportJSON(rep *Report) jsonReport {
	out := jsonReport{Queries: make([]jsonQuery, len(rep.Queries))}
	for i, q := range rep.Queries {
		jq := jsonQuery{Image: q.Name, Neighbours: []jsonNeighbour{}}
		for _, nb := range q.Neighbours {
			jq.Neighbours = append(jq.Neighbours,
				jsonNeighbour{Key: nb.Key, Source: nb.Source, MSE: nb.MSE})
		}
		out.Queries[i] = jq
	}
	return out
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	return atomicfile.WriteFile(path, append(data, '\n'), 0o644)
}

// HTML renders the report as one self-contained page: the faces are
// embedded, so it opens from disk in any browser and survives being moved.
func HTML(rep *Report) ([]byte, error) {
	var buf bytes.Buffer
	page := struct {
		*Report
		Shown  []QueryResult
		Hidden int
	}{Report: rep, Shown: rep.Queries[:min(len(rep.Queries), htmlRows)]}
	page.Hidden = len(rep.Queries) - len(page.Shown)
	if err := pageTemplate.Execute(&buf, page); err != nil {
		return nil, fmt.Errorf("render %s: %w", HTMLName, err)
	}
	return buf.Bytes(), nil
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"dataURI": dataURI,
	"pct":     func(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) },
	"f4":      func(f float64) string { return fmt.Sprintf("%.4f", f) },
	"f2":      func(f float64) string { return fmt.Sprintf("%.2f", f) },
}).Parse(pageHTML))

func dataURI(img image.Image) template.URL {
	if img == nil {
		return ""
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return ""
	}
	return template.URL("data:image/png;base64," +
		base64.StdEncoding.EncodeToString(buf.Bytes()))
}

const pageHTML = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Overfitting report</title>
<style>
body { font-family: sans-serif; margin: 2em; max-width: 70em; color: #222; }
img.face { width: 96px; height: 96px; image-rendering: pixelated; display: block; }
table.nn td { vertical-align: top; padding: 4px; font-size: 12px; }
td.gen { background: #eef; }
td.copy { background: #fcc; }
.cap { width: 96px; overflow-wrap: anywhere; }
table.cells { border-collapse: collapse; }
table.cells td, table.cells th { border: 1px solid #ccc; padding: 2px 8px;
  text-align: right; }
p.explain { max-width: 50em; line-height: 1.4; }
</style></head><body>
<h1>Overfitting report</h1>
<p>{{len .Queries}} generated faces of {{.Size}}×{{.Size}} against {{.Training}}
training faces; the {{.K}} nearest by mean squared error over pixels (values in
[0, 1]), found exactly.{{if .Scaled}} Training faces of another size were scaled to
{{.Size}}×{{.Size}} as the trainer scales them.{{end}} Seed {{.Seed}}.
{{- if .Bad}} {{.Bad}} unreadable samples
skipped.{{end}}</p>
<p class="explain">How to read it: each row starts with a generated face (blue) and
shows its nearest training faces, nearest first, with their key, source and
mean squared error. A generator that copies shows a neighbour that is the same
picture (an error near 0, well below the others). The same training face
appearing under many generated faces hints at mode collapse onto it, and the
same picture repeated among one face's neighbours shows duplicates in the
training set (run <code>tools dedup</code>).{{if .Holdout}} Neighbours on red are
closer than the closest 1% of held-out faces are to any training face.{{end}}</p>
{{with .Holdout}}
<h2>Generated against held-out faces</h2>
<p>{{.Generated}} generated and {{.HeldOut}} held-out real faces (never trained on),
each measured by its distance to the nearest training face.</p>
<h3>Closer than the closest 1% of held-out faces: {{pct .CloserShare}}</h3>
<p class="explain">Real faces the generator never saw are as close to the training set as
new faces from the same distribution would be. Take the distance below which the
closest 1% of held-out faces fall (here MSE {{f4 .Threshold}}): a generator that makes
new faces puts about 1% of its faces below it too, while one that reproduces its
training faces puts many more there, since a copy sits closer to its original than
almost any unseen face does. Here {{pct .CloserShare}} of the generated faces are below
it; well above 1% means copying, and with few generated faces the share moves in
steps of 1/{{.Generated}}.{{if .CloserNote}} <b>Note: {{.CloserNote}}.</b>{{end}}</p>
<h3>Data-copying statistic C_T: {{if .CTOK}}{{f2 .CT}}{{else}}not computed{{end}}</h3>
<p class="explain">C_T (Meehan, Chaudhuri and Dasgupta, 2020) compares the same distances
locally. Face space is cut into cells by k-means on training faces; within each
cell, the distances of generated faces and of held-out faces to their nearest
training face in that cell are compared with a Mann-Whitney U test, turned into a
Z-score (0 when both are alike, negative when the generated faces are closer).
C_T is the average of these Z-scores over the cells holding more than 20 generated
faces, weighted by each cell's share of held-out faces. Well below 0 (below about
-3) means the generator copies training faces, at least in some region; near 0
means its faces are as far from the training set as unseen real faces; well above
0 means they are farther, the generator underfits.{{if not .CTOK}}
<b>{{.CTNote}}.</b>{{end}}</p>
{{if .Cells}}<table class="cells"><tr><th>cell</th><th>training</th><th>held-out</th>
<th>generated</th><th>Z_U</th><th>used</th></tr>
{{range .Cells}}<tr><td>{{.Cell}}</td><td>{{.Training}}</td><td>{{.HeldOut}}</td>
<td>{{.Generated}}</td><td>{{f2 .ZU}}</td><td>{{if .Used}}yes{{else}}no{{end}}</td></tr>
{{end}}</table>{{end}}
{{end}}
<h2>Nearest training faces</h2>
<table class="nn">
{{range .Shown}}<tr><td class="gen"><img class="face" src="{{dataURI .Image}}"
alt="{{.Name}}"><div class="cap">{{.Name}}</div></td>
{{range .Neighbours}}<td{{if and $.Holdout (lt .MSE $.Holdout.Threshold)}} class="copy"
title="closer than the closest 1% of held-out faces"{{end}}><img class="face"
src="{{dataURI .Image}}" alt="{{.Key}}">
<div class="cap">{{.Key}}<br>{{.Source}}<br>MSE {{f4 .MSE}}</div></td>{{end}}</tr>
{{end}}</table>
{{if .Hidden}}<p>{{.Hidden}} more generated faces are in report.json.</p>{{end}}
</body></html>
`
