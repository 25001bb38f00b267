package org.gitopsrelay.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Every metric and label the alerts and the dashboard query is the one docs/metrics.md documents: a misspelt name
 * matches no series, and an alert on it stays silent forever.
 */
class MetricsDocumentedTest {

    private static final Path DOC = Path.of("docs", "metrics.md");
    private static final String ALERTS_HEADING = "## Alerts";
    private static final Pattern METRIC = Pattern.compile("\\b(?:relay|kafka)_[a-z0-9_]*[a-z0-9]");
    private static final Pattern SELECTOR = Pattern.compile("\\b((?:relay|kafka)_[a-z0-9_]*[a-z0-9])\\s*\\{([^}]*)}");
    private static final Pattern MATCHER = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(?:=~|!~|!=|=)");
    private static final Pattern QUOTED = Pattern.compile("\"[^\"]*\"");
    private static final Pattern BRACES = Pattern.compile("\\{[^}]*}");
    /** Label lists of aggregations and vector matching: they name labels, never metrics. */
    private static final Pattern LABEL_LIST = Pattern
            .compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    /** Only timers and histograms have these series, and this project names every one of them in seconds. */
    private static final Pattern SERIES_SUFFIX = Pattern.compile("_seconds_(?:bucket|sum|count|max)$");
    private static final Pattern DOC_NAME = Pattern.compile("`([a-z_][a-z0-9_]*)`");
    /** Labels Prometheus gives every series of a target; they belong to no metric's documentation. */
    private static final Set<String> TARGET_LABELS = Set.of("job", "instance", "namespace", "pod");

    @TempDir
    Path tmp;

    private record Query(String where, String expr) {
    }

    @Test
    void everyMetricTheAlertsAndTheDashboardQueryIsDocumented() throws IOException {
        Map<String, Set<String>> documented = documentedMetrics();
        Set<String> undocumented = new TreeSet<>();
        Set<String> used = new TreeSet<>();

        for (Query query : queries()) {
            String names = LABEL_LIST.matcher(BRACES.matcher(QUOTED.matcher(query.expr()).replaceAll("\"\""))
                    .replaceAll("")).replaceAll("");
            Matcher metric = METRIC.matcher(names);
            while (metric.find()) {
                used.add(metric.group());
                if (documentedName(metric.group(), documented).isEmpty()) {
                    undocumented.add(metric.group() + " (" + query.where() + ")");
                }
            }
        }

        assertThat(used).contains("relay_dora_deployments_total", "relay_dead_letters_total",
                "relay_consumer_lag_records");
        assertThat(undocumented).as("metrics queried but not in the tables of %s", DOC).isEmpty();
    }

    @Test
    void everyLabelTheAlertsAndTheDashboardSelectOnIsDocumentedForItsMetric() throws IOException {
        Map<String, Set<String>> documented = documentedMetrics();
        Set<String> wrong = new TreeSet<>();
        int checked = 0;

        for (Query query : queries()) {
            Matcher selector = SELECTOR.matcher(query.expr());
            while (selector.find()) {
                Optional<String> metric = documentedName(selector.group(1), documented);
                if (metric.isEmpty()) {
                    continue; // reported by everyMetricTheAlertsAndTheDashboardQueryIsDocumented
                }
                Matcher matcher = MATCHER.matcher(QUOTED.matcher(selector.group(2)).replaceAll("\"\""));
                while (matcher.find()) {
                    String label = matcher.group(1);
                    checked++;
                    if (!TARGET_LABELS.contains(label) && !documented.get(metric.get()).contains(label)) {
                        wrong.add(selector.group(1) + "{" + label + "} (" + query.where() + ")");
                    }
                }
            }
        }

        assertThat(checked).isPositive();
        assertThat(wrong).as("labels selected on but not documented for their metric in %s", DOC).isEmpty();
    }

    @Test
    void everyAlertIsExplainedInTheAlertsSection() throws IOException {
        String doc = Files.readString(DOC);
        assertThat(doc).contains(ALERTS_HEADING);
        String alertsSection = doc.substring(doc.indexOf(ALERTS_HEADING));

        List<String> alerts = ShippedMonitoring.alerts(ShippedMonitoring.ruleSpec(tmp)).stream()
                .map(alert -> alert.path("alert").asText()).toList();

        assertThat(alerts).isNotEmpty().allSatisfy(alert -> assertThat(alertsSection)
                .as("the Alerts section of %s", DOC).contains("| `" + alert + "` |"));
    }

    private List<Query> queries() throws IOException {
        List<Query> queries = new ArrayList<>();
        for (JsonNode rule : ShippedMonitoring.rules(ShippedMonitoring.ruleSpec(tmp))) {
            String name = rule.has("alert") ? rule.path("alert").asText() : rule.path("record").asText();
            queries.add(new Query("rule " + name, rule.path("expr").asText()));
        }
        JsonNode dashboard = ShippedMonitoring.dashboard();
        ShippedMonitoring.panelQueries(dashboard).forEach(expr -> queries.add(new Query("dashboard", expr)));
        ShippedMonitoring.variableQueries(dashboard)
                .forEach(expr -> queries.add(new Query("dashboard variable", expr)));
        return queries;
    }

    /** Metric → its labels, from the tables above the Alerts section (first column names, second column labels). */
    private static Map<String, Set<String>> documentedMetrics() throws IOException {
        String doc = Files.readString(DOC);
        int end = doc.indexOf(ALERTS_HEADING);
        Map<String, Set<String>> metrics = new TreeMap<>();
        for (String line : (end < 0 ? doc : doc.substring(0, end)).split("\n")) {
            if (!line.startsWith("| `")) {
                continue;
            }
            String[] cells = line.split("\\|");
            Set<String> labels = new LinkedHashSet<>();
            Matcher label = DOC_NAME.matcher(cells[2]);
            while (label.find()) {
                labels.add(label.group(1));
            }
            Matcher name = DOC_NAME.matcher(cells[1]);
            while (name.find()) {
                metrics.put(name.group(1), labels);
            }
        }
        assertThat(metrics).as("metrics documented in %s", DOC).isNotEmpty();
        return metrics;
    }

    /** The documented name {@code used} stands for: itself, or the timer or histogram it is a series of. */
    private static Optional<String> documentedName(String used, Map<String, Set<String>> documented) {
        if (documented.containsKey(used)) {
            return Optional.of(used);
        }
        Matcher suffix = SERIES_SUFFIX.matcher(used);
        if (suffix.find()) {
            String base = used.substring(0, suffix.start()) + "_seconds";
            if (documented.containsKey(base)) {
                return Optional.of(base);
            }
        }
        return Optional.empty();
    }
}
