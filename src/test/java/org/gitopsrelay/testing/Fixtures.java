package org.gitopsrelay.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

import org.gitopsrelay.event.EventCodec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Webhook payload fixtures from {@code src/test/resources/webhooks/}, named {@code <provider>-<event>-<scenario>.json}. */
public final class Fixtures {

    private Fixtures() {
    }

    public static ObjectNode json(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/webhooks/" + name + ".json")) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + name);
            }
            return (ObjectNode) EventCodec.JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final String CLOCK_PROPERTY = "gitops-relay.test.push-clock";

    /**
     * A push or pull request time for a test: one second after the last one handed out in this JVM, starting a day
     * before the run, so that each is newer than the one before and none lies in the future (handlers take a future
     * time as the moment of receipt). Each Quarkus app loads its own copy of this class, so the counter lives in the
     * JVM's system properties, which all of them share.
     */
    public static long nextPushTime() {
        Object next = System.getProperties().compute(CLOCK_PROPERTY, (key, last) -> String.valueOf(last == null
                ? java.time.Instant.now().minus(java.time.Duration.ofDays(1)).getEpochSecond()
                : Long.parseLong((String) last) + 1));
        return Long.parseLong((String) next);
    }

    /** A push fixture moved to another commit and push time, so that each test deploys something new. */
    public static ObjectNode push(String name, String sha, long pushedAtEpochSeconds) {
        ObjectNode push = json(name);
        push.put("after", sha);
        if (push.get("head_commit").isObject()) {
            ((ObjectNode) push.get("head_commit")).put("id", sha);
        }
        ((ObjectNode) push.get("repository")).put("pushed_at", pushedAtEpochSeconds);
        return push;
    }

    /** A pull request event of the demo repository: action, number, head branch and commit, and update time. */
    public static String pullRequest(String action, int number, String branch, String sha, boolean merged,
            long updatedAtEpochSeconds) {
        ObjectNode body = json("github-pull_request-opened");
        body.put("action", action);
        body.put("number", number);
        ObjectNode pr = (ObjectNode) body.get("pull_request");
        pr.put("number", number);
        pr.put("merged", merged);
        pr.put("updated_at", java.time.Instant.ofEpochSecond(updatedAtEpochSeconds).toString());
        ((ObjectNode) pr.get("head")).put("ref", branch).put("sha", sha);
        return text(body);
    }

    public static String text(ObjectNode json) {
        try {
            return EventCodec.JSON.writeValueAsString(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A random 40-hex commit SHA. */
    public static String sha() {
        StringBuilder sha = new StringBuilder();
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int i = 0; i < 40; i++) {
            sha.append(Character.forDigit(random.nextInt(16), 16));
        }
        return sha.toString();
    }
}
