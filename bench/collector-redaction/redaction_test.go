// The collector's redaction processor as otel-collector/config.yaml configures it, against the same
// configuration without its ignored_keys, on spans with the attributes the services' server spans carry:
// the cost of testing every key against every blocked_key_patterns entry (docs/performance.md, *The
// collector*, and the upstream draft there).
//
//	go test -bench . -benchtime 3s -count 3    (npm run bench:redaction)
package redaction

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/redactionprocessor"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"
	"gopkg.in/yaml.v3"
)

const spansPerBatch = 128

// committedRedaction is the `processors.redaction` section of the repository's collector configuration.
func committedRedaction(b *testing.B) map[string]any {
	raw, err := os.ReadFile(filepath.Join("..", "..", "otel-collector", "config.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	var config struct {
		Processors map[string]map[string]any `yaml:"processors"`
	}
	if err := yaml.Unmarshal(raw, &config); err != nil {
		b.Fatal(err)
	}
	section, ok := config.Processors["redaction"]
	if !ok {
		b.Fatal("otel-collector/config.yaml has no processors.redaction")
	}
	return section
}

// serverSpanAttributes are the attributes a Cinemetrics service gives its server spans.
var serverSpanAttributes = map[string]any{
	"http.request.method":       "GET",
	"http.response.status_code": 200,
	"http.route":                "/movies/:id",
	"url.path":                  "/movies/tt0000123",
	"url.scheme":                "http",
	"server.address":            "127.0.0.1",
	"server.port":               8083,
	"network.peer.address":      "127.0.0.1",
	"network.peer.port":         51234,
	"client.address":            "127.0.0.1",
	"network.protocol.version":  "1.1",
	"user_agent.original":       "autocannon",
	"enduser.id":                "alice",
	"cinemetrics.synthetic":     false,
}

// serverSpans is a batch of server spans with serverSpanAttributes.
func serverSpans(b *testing.B) ptrace.Traces {
	traces := ptrace.NewTraces()
	scope := traces.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	for i := 0; i < spansPerBatch; i++ {
		span := scope.Spans().AppendEmpty()
		span.SetName("GET /movies/:id")
		span.SetKind(ptrace.SpanKindServer)
		if err := span.Attributes().FromRaw(serverSpanAttributes); err != nil {
			b.Fatal(err)
		}
	}
	return traces
}

func benchmarkRedaction(b *testing.B, section map[string]any) {
	factory := redactionprocessor.NewFactory()
	config := factory.CreateDefaultConfig()
	if err := confmap.NewFromStringMap(section).Unmarshal(config); err != nil {
		b.Fatal(err)
	}
	processor, err := factory.CreateTraces(context.Background(), processortest.NewNopSettings(factory.Type()), config, consumertest.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	batches := make([]ptrace.Traces, b.N)
	for i := range batches {
		batches[i] = serverSpans(b)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := processor.ConsumeTraces(context.Background(), batches[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*spansPerBatch), "ns/span")
}

func BenchmarkRedaction(b *testing.B) {
	committed := committedRedaction(b)
	withoutIgnoredKeys := map[string]any{}
	for key, value := range committed {
		if key != "ignored_keys" {
			withoutIgnoredKeys[key] = value
		}
	}
	b.Run("committed", func(b *testing.B) { benchmarkRedaction(b, committed) })
	b.Run("without ignored_keys", func(b *testing.B) { benchmarkRedaction(b, withoutIgnoredKeys) })
}
