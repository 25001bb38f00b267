package org.gitopsrelay.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;

import org.gitopsrelay.app.Names;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.GitChange;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.event.SourceRepo;
import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayException.Reason;
import org.gitopsrelay.testing.FuzzFields;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * The GitHub normaliser on any signed body: what {@code /webhooks/github} does once the signature matched. A body
 * is a change the handlers can act on, a delivery ignored with its reason, or a 400 ({@code malformed-payload})
 * naming what is wrong; never another exception, which would be a 500.
 *
 * <p>Input: the raw body, then one byte from the end choosing the {@code X-GitHub-Event} header.
 */
class GitHubPayloadsFuzzTest {

    private static final String[] EVENTS = { "push", "create", "delete", "pull_request", "issues" };

    @FuzzTest(maxExecutions = FuzzFields.IN_SUITE, maxDuration = FuzzFields.IN_SUITE_LIMIT)
    void aSignedBodyIsAChangeAnIgnoredDeliveryOrAMalformedPayload(FuzzedDataProvider data) {
        String event = data.pickValue(EVENTS);
        byte[] body = data.consumeRemainingAsBytes();
        Normalised normalised;
        try {
            normalised = GitHubPayloads.normalise(event, Json.parse(body));
        } catch (RelayException e) {
            assertThat(e.reason()).as(e.getMessage()).isEqualTo(Reason.MALFORMED_PAYLOAD);
            assertThat(e.getMessage()).isNotBlank();
            return;
        }
        if (normalised instanceof Normalised.Ignored ignored) {
            assertThat(ignored.reason()).isNotBlank();
            return;
        }
        GitChange change = ((Normalised.Change) normalised).change();
        // A valid host and path (the record checks them); parsing its key again may differ ("mo.git.git" is "mo.git",
        // whose key parses as "mo"), which is harmless: keys are compared as read, never parsed twice.
        assertThat(new SourceRepo(change.repo().host(), change.repo().path())).isEqualTo(change.repo());
        assertThat(change.repo().key()).doesNotContain("..", "//", "\\");
        if (change instanceof GitChange.Push push) {
            assertThat(push.refName()).isNotEmpty();
            assertThat(push.refKind()).isNotNull();
            assertThat(Names.isCommitSha(push.before())).as(push.before()).isTrue();
            assertThat(Names.isCommitSha(push.after())).as(push.after()).isTrue();
            assertThat(Names.isCommitSha(push.headCommit())).as(push.headCommit()).isTrue();
            assertThat(push.commitCount()).isNotNegative();
        } else if (change instanceof GitChange.PullRequest pr) {
            // Its preview is pr-<number>: a number that makes no slug would fail in the handler, after the 202.
            assertThat(pr.number()).isPositive();
            assertThat(Names.isCommitSha(pr.headCommit())).as(pr.headCommit()).isTrue();
            assertThat(pr.action()).isNotEmpty();
            assertThat(pr.headBranch()).isNotEmpty();
            assertThat(pr.baseBranch()).isNotEmpty();
        } else if (change instanceof GitChange.RefCreated created) {
            assertThat(created.refName()).isNotEmpty();
        }
        // What ingest writes to Kafka, the handler reads back unchanged.
        RelayEvent written = RelayEvent.of("fuzz", "/webhooks/github", change.type(), "demo", Instant.EPOCH,
                EventCodec.toData(change));
        assertThat(EventCodec.gitChange(EventCodec.decode(EventCodec.encode(written)))).isEqualTo(change);
    }
}
