// Command observability-check checks ShopStream's dashboards and alert expressions offline.
//
//	observability-check dashboard FILE...  decode each Grafana dashboard strictly against Grafana's own
//	                                       dashboard schema (grafana-foundation-sdk: unknown or misspelt
//	                                       fields, wrong types, missing required fields and panel options
//	                                       that the panel's plugin does not have are errors), and require
//	                                       every query to be a Prometheus query; exit 1 on any error.
//	observability-check selectors          read a JSON array of PromQL expressions on stdin, parse each
//	                                       with Prometheus's own parser and print, as JSON, the metric
//	                                       name and label matchers of every series selector in it.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/prometheus/prometheus/promql/parser"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: observability-check dashboard FILE... | selectors")
	}
	switch os.Args[1] {
	case "dashboard":
		plugins.RegisterDefaultPlugins() // panel options and queries are decoded per plugin, strictly
		invalid := false
		for _, path := range os.Args[2:] {
			if err := checkDashboard(path); err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
				invalid = true
			}
		}
		if invalid {
			os.Exit(1)
		}
	case "selectors":
		if err := printSelectors(os.Stdin, os.Stdout); err != nil {
			fail(err.Error())
		}
	default:
		fail("unknown command " + os.Args[1])
	}
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, message)
	os.Exit(2)
}

// checkDashboard decodes one dashboard strictly and prints what it holds.
func checkDashboard(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var board dashboard.Dashboard
	if err := board.UnmarshalJSONStrict(raw); failed(err) {
		return err
	}
	// The SDK reports a panel's and a query's errors but keeps neither (see failed), so the layout is
	// read again here: every query must be a Prometheus one, which the SDK decodes strictly (a query
	// of a data source it does not know it keeps as it is, unchecked).
	var layout struct {
		Panels []rawPanel `json:"panels"`
	}
	if err := json.Unmarshal(raw, &layout); err != nil {
		return err
	}
	panels, queries := 0, 0
	for _, panel := range flatten(layout.Panels) {
		panels++
		for i, target := range panel.Targets {
			source := target.Datasource
			if source == nil {
				source = panel.Datasource
			}
			if source == nil || source.Type != "prometheus" {
				return fmt.Errorf("panel %q target %d: not a Prometheus query", panel.Title, i)
			}
			queries++
		}
	}
	fmt.Printf("%s: valid dashboard %q, %d panels, %d Prometheus queries\n", path, derefOr(board.Title), panels, queries)
	return nil
}

type sourceRef struct {
	Type string `json:"type"`
}

type rawPanel struct {
	Type       string     `json:"type"`
	Title      string     `json:"title"`
	Datasource *sourceRef `json:"datasource"`
	Targets    []struct {
		Datasource *sourceRef `json:"datasource"`
	} `json:"targets"`
	Panels []rawPanel `json:"panels"` // of a collapsed row
}

// flatten lists the panels that are not rows, those inside collapsed rows too.
func flatten(panels []rawPanel) []rawPanel {
	var found []rawPanel
	for _, panel := range panels {
		if panel.Type == "row" {
			found = append(found, flatten(panel.Panels)...)
		} else {
			found = append(found, panel)
		}
	}
	return found
}

// failed tells whether a strict decoder found something. The SDK's decoders (v0.0.22) return their
// cog.BuildErrors even when it is empty: a non-nil error value that holds no error.
func failed(err error) bool {
	var found cog.BuildErrors
	if errors.As(err, &found) {
		return len(found) > 0
	}
	return err != nil
}

func derefOr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Selector is one series selector of an expression: the metric name and its label matchers.
type Selector struct {
	Name     string      `json:"name"`
	Matchers [][3]string `json:"matchers"`
}

// Parsed is what one expression holds, or why it does not parse.
type Parsed struct {
	Expr      string     `json:"expr"`
	Error     string     `json:"error,omitempty"`
	Selectors []Selector `json:"selectors"`
}

func printSelectors(in io.Reader, out io.Writer) error {
	var exprs []string
	if err := json.NewDecoder(in).Decode(&exprs); err != nil {
		return fmt.Errorf("stdin: a JSON array of strings expected: %w", err)
	}
	promql := parser.NewParser(parser.Options{})
	results := make([]Parsed, 0, len(exprs))
	for _, expr := range exprs {
		result := Parsed{Expr: expr, Selectors: []Selector{}}
		tree, err := promql.ParseExpr(expr)
		if err != nil {
			result.Error = err.Error()
		} else {
			parser.Inspect(tree, func(node parser.Node, _ []parser.Node) error {
				if vs, ok := node.(*parser.VectorSelector); ok {
					result.Selectors = append(result.Selectors, selector(vs))
				}
				return nil
			})
		}
		results = append(results, result)
	}
	return json.NewEncoder(out).Encode(results)
}

func selector(vs *parser.VectorSelector) Selector {
	found := Selector{Name: vs.Name, Matchers: [][3]string{}}
	for _, m := range vs.LabelMatchers {
		if m.Name != "__name__" {
			found.Matchers = append(found.Matchers, [3]string{m.Name, m.Type.String(), m.Value})
		}
	}
	return found
}
