// Command go-template-goldens runs the --format templates in templates.txt through Go's
// text/template against a Docker v29 `image inspect` value and prints what Go prints, as JSON
// (src/core/docker/testdata/inspect-goldens.json).
//
// The value is the inspect fixture (src/core/docker/testdata/inspect-fixture.json) decoded into
// structs with the shapes docker/cli v29 decodes the daemon's answer into:
// client.ImageInspectResult embedding moby api/types/image.InspectResponse, whose Config is
// *dockerspec.DockerOCIImageConfig (ocispec.ImageConfig + DockerOCIImageConfigExt). Only the
// shapes are restated here (package and type names as in the real types); the printing,
// comparison and escaping are Go's own. The functions are docker/cli's basicFunctions, built
// from the standard library calls templates.go uses; join is left out (its cases come from
// docker/cli's templates_test.go instead).
//
// Run: cd scripts/go-template-goldens && go run . > ../../src/core/docker/testdata/inspect-goldens.json
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"text/template"

	"goldens/client"
)

func main() {
	raw, err := os.ReadFile("../../src/core/docker/testdata/inspect-fixture.json")
	if err != nil {
		panic(err)
	}
	var v client.ImageInspectResult
	if err := json.Unmarshal(raw, &v); err != nil {
		panic(err)
	}
	funcs := template.FuncMap{
		"json": func(v any) string {
			buf := &bytes.Buffer{}
			enc := json.NewEncoder(buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(v); err != nil {
				panic(err)
			}
			return strings.TrimSpace(buf.String())
		},
		"split": strings.Split,
		"title": strings.Title,
		"lower": strings.ToLower,
		"upper": strings.ToUpper,
		"pad": func(s string, prefix, suffix int) string {
			if s == "" {
				return s
			}
			return strings.Repeat(" ", prefix) + s + strings.Repeat(" ", suffix)
		},
		"truncate": func(s string, n int) string {
			if len(s) < n {
				return s
			}
			return s[:n]
		},
	}
	f, err := os.Open("templates.txt")
	if err != nil {
		panic(err)
	}
	type result struct {
		Template string `json:"template"`
		Out      string `json:"out"`
		Err      string `json:"err,omitempty"`
	}
	var results []result
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		r := result{Template: line}
		t, err := template.New("").Funcs(funcs).Parse(line)
		if err != nil {
			r.Err = err.Error()
		} else {
			var b bytes.Buffer
			if err := t.Execute(&b, v); err != nil {
				r.Err = err.Error()
			}
			r.Out = b.String()
		}
		results = append(results, r)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(results); err != nil {
		panic(err)
	}
}
