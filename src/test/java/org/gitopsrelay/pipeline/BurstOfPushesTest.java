package org.gitopsrelay.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.gitopsrelay.testing.GitCli.git;
import static org.gitopsrelay.testing.Webhooks.github;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import jakarta.inject.Inject;

import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.gitops.KustomizationFile;
import org.gitopsrelay.testing.Fixtures;
import org.gitopsrelay.testing.RelayTestEnvironment;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * A burst of chained pushes to one branch through the real webhook, broker, Kustomize and Git, as fast as one sender
 * can send them: they pile up in Kafka and are taken in batches. However they are cut, the branch ends on the last
 * push, and every accepted event is named in exactly one commit, deployed or superseded: none lost, none twice.
 */
@QuarkusTest
@QuarkusTestResource(value = RelayTestEnvironment.class, restrictToAnnotatedClass = true)
class BurstOfPushesTest {

    private static final int PUSHES = 40;

    @Inject
    RelayConfig config;

    @Inject
    MeterRegistry metrics;

    private String onMain(String... args) {
        List<String> command = new ArrayList<>(List.of("--git-dir=" + config.dataDir().resolve("gitops.git")));
        command.addAll(List.of(args));
        return git(config.dataDir(), command.toArray(String[]::new));
    }

    @Test
    void everyPushOfABurstIsNamedInExactlyOneCommitAndTheLastIsDeployed() {
        List<String> accepted = new ArrayList<>();
        String before = "0000000000000000000000000000000000000001";
        String last = null;
        for (int i = 0; i < PUSHES; i++) {
            last = Fixtures.sha();
            ObjectNode push = Fixtures.push("github-push-main", last, Fixtures.nextPushTime());
            push.put("before", before);
            accepted.add(github("push", Fixtures.text(push)).statusCode(202).extract().path("events[0]"));
            before = last;
        }
        String newest = last;

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(KustomizationFile.parse(
                onMain("show", "main:apps/demo/envs/staging/kustomization.yaml")).imageTag("app-image"))
                .contains(newest));

        Map<String, Long> named = Arrays.stream(onMain("log", "--format=%(trailers:key=Relay-Event,valueonly)", "main")
                .split("\n")).map(String::strip).filter(line -> !line.isEmpty())
                .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
        List<String> lost = accepted.stream().filter(id -> !named.containsKey(id)).toList();
        List<String> twice = accepted.stream().filter(id -> named.getOrDefault(id, 0L) > 1).toList();
        System.out.printf("burst: accepted=%d commits=%d lost=%d duplicated=%d largest batch=%.0f%n", accepted.size(),
                Long.parseLong(onMain("rev-list", "--count", "--grep=^Relay-Event:", "main").strip()), lost.size(),
                twice.size(), metrics.find("relay.handler.batch.size").summary().max());
        assertThat(lost).as("accepted events named in no commit").isEmpty();
        assertThat(twice).as("accepted events named in two commits").isEmpty();
    }
}
