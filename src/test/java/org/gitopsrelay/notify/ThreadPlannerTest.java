package org.gitopsrelay.notify;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.gitopsrelay.event.OutcomeEvent;
import org.gitopsrelay.event.Preview;
import org.gitopsrelay.event.SourceRepo;
import org.junit.jupiter.api.Test;

class ThreadPlannerTest {

    private static final NotificationText TEXT = new NotificationText(Optional.of(SourceRepo.parse(
            "github.com/example/shop")), Optional.empty());
    private static final String SHA = "3f2a9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b";
    private static final Preview PREVIEW = new Preview("shop", "pr-7", Preview.PULL_REQUEST, 7, "feature/cart",
            "alice", SHA, "registry.example.org/shop:" + SHA, "shop-pr-7", "https://pr-7.shop.preview.example.org",
            Instant.parse("2026-11-24T10:00:00Z"), Instant.parse("2026-11-24T10:00:00Z"),
            Instant.parse("2026-12-01T10:00:00Z"));
    private static final List<String> THREADED = List.of("production");

    private static final Instant T = Instant.parse("2026-11-24T12:00:00Z");

    private static NotificationPlan plan(OutcomeEvent event, String id, Optional<ThreadState> thread) {
        return plan(event, id, T, thread);
    }

    private static NotificationPlan plan(OutcomeEvent event, String id, Instant at, Optional<ThreadState> thread) {
        return ThreadPlanner.plan(event, id, at, TEXT, true, ThreadPlanner.threadKey(event, THREADED), thread);
    }

    @Test
    void aPreviewsFirstEventOpensItsThreadAndLaterOnesReplyAndEditTheRoot() {
        NotificationPlan opened = plan(new OutcomeEvent.PreviewCreated(PREVIEW, SHA, "t1"), "e1", Optional.empty());
        assertThat(opened).isInstanceOf(NotificationPlan.OpenThread.class);
        assertThat(((NotificationPlan.OpenThread) opened).key()).isEqualTo("preview/shop/pr-7");

        ThreadState thread = ThreadState.opened("root1", "channel", "e1", false, T.minusSeconds(60));
        NotificationPlan updated = plan(new OutcomeEvent.PreviewUpdated(PREVIEW, SHA, "t2"), "e2",
                Optional.of(thread));
        assertThat(updated).isInstanceOfSatisfying(NotificationPlan.Reply.class, reply -> {
            assertThat(reply.thread().rootPostId()).isEqualTo("root1");
            assertThat(reply.root().card()).contains("updated to `3f2a9c0`");
            assertThat(reply.closed()).isFalse();
        });

        NotificationPlan closed = plan(new OutcomeEvent.PreviewDeleted(PREVIEW, SHA, "t3", "pull request #7 closed"),
                "e3", Optional.of(thread.with("e2", false, T.minusSeconds(30))));
        assertThat(closed).isInstanceOfSatisfying(NotificationPlan.Reply.class, reply -> {
            assertThat(reply.closed()).isTrue();
            assertThat(reply.root().card()).contains("closed: pull request #7 closed");
        });
    }

    @Test
    void aRedeliveredEventIsNotPostedTwice() {
        ThreadState thread = ThreadState.opened("root1", "channel", "e1", false, T.minusSeconds(60));
        assertThat(plan(new OutcomeEvent.PreviewCreated(PREVIEW, SHA, "t1"), "e1", Optional.of(thread)))
                .isInstanceOf(NotificationPlan.Skip.class);
    }

    @Test
    void aLateEventRepliesButNeverTurnsTheRootBackNorReopensAClosedThread() {
        ThreadState closed = ThreadState.opened("root1", "channel", "e1", true, T);
        NotificationPlan lateUpdate = plan(new OutcomeEvent.PreviewUpdated(PREVIEW, SHA, "t0"), "e0",
                T.minusSeconds(120), Optional.of(closed));
        assertThat(lateUpdate).isInstanceOfSatisfying(NotificationPlan.Reply.class, reply -> {
            assertThat(reply.root()).as("the root keeps showing closed").isNull();
            assertThat(reply.closed()).isTrue();
        });
        NotificationPlan lateCreation = plan(new OutcomeEvent.PreviewCreated(PREVIEW, SHA, "t00"), "e00",
                T.minusSeconds(300), Optional.of(closed));
        assertThat(lateCreation).isInstanceOf(NotificationPlan.Reply.class);
    }

    @Test
    void aReopenedPreviewStartsANewThread() {
        ThreadState closed = ThreadState.opened("root1", "channel", "e1", true, T.minusSeconds(60));
        assertThat(plan(new OutcomeEvent.PreviewCreated(PREVIEW, SHA, "t9"), "e9", Optional.of(closed)))
                .isInstanceOf(NotificationPlan.OpenThread.class);
    }

    @Test
    void productionDeploymentsAreThreadedAndOtherEnvironmentsPostOnce() {
        var production = new OutcomeEvent.DeploymentCommitted("shop", "production", "img:1", "github.com/example/shop",
                "v1", SHA, null, "alice", SHA, "t1", null, null);
        var staging = new OutcomeEvent.DeploymentCommitted("shop", "staging", "img:1", "github.com/example/shop",
                "main", SHA, null, "alice", SHA, "t2", null, null);
        assertThat(plan(production, "e1", Optional.empty())).isInstanceOf(NotificationPlan.OpenThread.class);
        assertThat(plan(staging, "e2", Optional.empty())).isInstanceOf(NotificationPlan.Single.class);
    }

    @Test
    void anIncomingWebhookCannotThreadSoEveryEventIsOnePost() {
        var created = new OutcomeEvent.PreviewCreated(PREVIEW, SHA, "t1");
        assertThat(ThreadPlanner.plan(created, "e1", T, TEXT, false, ThreadPlanner.threadKey(created, THREADED),
                Optional.empty())).isInstanceOf(NotificationPlan.Single.class);
    }

    @Test
    void aThreadRemembersOnlyItsLastEvents() {
        ThreadState thread = ThreadState.opened("root", "c", "e0", false, T);
        for (int i = 1; i <= 100; i++) {
            thread = thread.with("e" + i, false, T.plusSeconds(i));
        }
        assertThat(thread.events()).hasSize(ThreadState.REMEMBERED_EVENTS).endsWith("e100");
    }
}
