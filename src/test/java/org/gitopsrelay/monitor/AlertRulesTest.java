package org.gitopsrelay.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The alerts of deploy/monitoring/prometheusrule.yaml, checked by the real promtool: the rules load, and each alert
 * fires on its symptom and stays quiet otherwise (the unit tests in deploy/monitoring/tests).
 */
class AlertRulesTest {

    @TempDir
    Path tmp;

    @Test
    void theShippedRulesLoadInPrometheus() throws IOException {
        Path rules = ShippedMonitoring.writeRulesFile(ShippedMonitoring.ruleSpec(tmp.resolve("render")), tmp);

        Promtool.Result result = Promtool.run(tmp, List.of("check", "rules", rules.toString()));

        assertThat(result.exitCode()).as("promtool check rules %s said:%n%s", rules, result.output()).isZero();
    }

    @Test
    void everyAlertFiresOnItsSymptomAndStaysQuietOtherwise() throws IOException {
        List<String> args = new ArrayList<>(List.of("test", "rules"));
        for (Path test : ShippedMonitoring.ruleTestFiles()) {
            Files.copy(test, tmp.resolve(test.getFileName()));
            args.add(test.getFileName().toString());
        }
        // Written after the copies, so that the tests always meet the rules as shipped.
        ShippedMonitoring.writeRulesFile(ShippedMonitoring.ruleSpec(tmp.resolve("render")), tmp);

        Promtool.Result result = Promtool.run(tmp, args);

        assertThat(result.exitCode()).as("promtool %s said:%n%s", String.join(" ", args), result.output()).isZero();
    }

    @Test
    void everyAlertHasAFiringAndAQuietCase() throws IOException {
        Map<String, Set<String>> cases = new TreeMap<>();
        for (Path file : ShippedMonitoring.ruleTestFiles()) {
            JsonNode tests = ShippedMonitoring.YAML.readTree(file.toFile());
            assertThat(tests.path("rule_files").toString()).as("rule_files of %s", file)
                    .contains(ShippedMonitoring.RULES_FILE);
            tests.path("tests").forEach(test -> test.path("alert_rule_test").forEach(check -> cases
                    .computeIfAbsent(check.path("alertname").asText(), alert -> new TreeSet<>())
                    .add(check.path("exp_alerts").isEmpty() ? "quiet" : "firing")));
        }

        List<String> alerts = ShippedMonitoring.alerts(ShippedMonitoring.ruleSpec(tmp))
                .stream().map(alert -> alert.path("alert").asText()).toList();

        assertThat(alerts).isNotEmpty();
        Map<String, Set<String>> missing = new TreeMap<>();
        for (String alert : alerts) {
            Set<String> absent = new TreeSet<>(Set.of("firing", "quiet"));
            absent.removeAll(cases.getOrDefault(alert, Set.of()));
            if (!absent.isEmpty()) {
                missing.put(alert, absent);
            }
        }
        assertThat(missing).as("cases missing from deploy/monitoring/tests, per alert").isEmpty();
        assertThat(cases.keySet()).as("alerts tested in deploy/monitoring/tests").isSubsetOf(alerts);
    }

    @Test
    void everyAlertSaysHowUrgentItIsWhatItMeansAndWhatToDo() {
        List<JsonNode> alerts = ShippedMonitoring.alerts(ShippedMonitoring.ruleSpec(tmp));

        assertThat(alerts).isNotEmpty().allSatisfy(alert -> {
            String name = alert.path("alert").asText();
            assertThat(alert.path("labels").path("severity").asText()).as("severity of %s", name)
                    .isIn("critical", "warning");
            for (String annotation : List.of("summary", "description", "runbook")) {
                assertThat(alert.path("annotations").path(annotation).asText()).as("%s of %s", annotation, name)
                        .isNotBlank();
            }
        });
    }

    @Test
    void everySymptomTheServiceShowsHasAnAlert() {
        List<String> expressions = ShippedMonitoring.alerts(ShippedMonitoring.ruleSpec(tmp)).stream()
                .map(alert -> alert.path("expr").asText().replaceAll("\\s+", " ")).toList();
        Map<String, String> symptoms = Map.ofEntries(
                Map.entry("dead letters", "increase(relay_dead_letters_total["),
                Map.entry("failed deployments", "relay_dora_deployments_total{outcome=\"failed\"}"),
                Map.entry("consumer lag", "relay_consumer_lag_records{"),
                Map.entry("bad signatures", "relay_webhook_deliveries_total{outcome=\"bad-signature\"}"),
                Map.entry("invalid app.yaml", "relay_apps_invalid"),
                Map.entry("a readiness check down", "relay_readiness"),
                Map.entry("a pod not scraped", "up{job=~\".*gitops-relay.*\"} == 0"),
                Map.entry("no pod scraped at all", "absent(up{job=~\".*gitops-relay.*\"})"),
                Map.entry("notifications lost", "increase(relay_notifications_total{outcome=\"dead-lettered\"}["),
                Map.entry("notifications retried", "relay_notification_retries_total"),
                Map.entry("a backup too old", "relay_backup_last_success_timestamp_seconds"),
                Map.entry("a backup never made", "relay_backup_expected"),
                Map.entry("a failed backup", "increase(relay_backups_total{kind=\"backup\", outcome=\"failed\"}["));

        symptoms.forEach((symptom, selector) -> assertThat(expressions).as("alerts on %s", symptom)
                .anySatisfy(expr -> assertThat(expr).contains(selector)));
    }
}
