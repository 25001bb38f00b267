package org.gitopsrelay.preview;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.gitopsrelay.event.GitChange;

/**
 * Which preview events of a batch are handled, and which are superseded. A run of openings and updates of one preview,
 * with no closing or reopening of it in between, ends where the newest of them would have left it had each been
 * handled in turn: the one with the latest activity (of equal ones, the last), since an update older than what the
 * preview shows changes nothing. So only that one is handled, and the others are named in its commit. Closings,
 * reopenings and events with no time of their own are handled each on its own, in order.
 */
public final class PreviewCoalescing {

    /** Pull request actions that open or move a preview without reopening it (a reopening may follow a closing). */
    private static final Set<String> UPDATES = Set.of("opened", "synchronize", "synchronized");

    private PreviewCoalescing() {
    }

    /** A preview event of the batch: what the caller tracks it by, its app and its change. */
    public record Item<T>(T tracked, String app, GitChange change) {
    }

    /** What to handle: the event, and the older ones of the same preview it supersedes (in batch order). */
    public record Handle<T>(T event, List<T> superseded) {
    }

    /** The events to handle, in batch order of each handled event; every item is in exactly one. */
    public static <T> List<Handle<T>> plan(List<Item<T>> items) {
        // Positions in the batch, grouped: a run of one preview's updates, or an event handled on its own.
        List<List<Integer>> groups = new ArrayList<>();
        Map<String, List<Integer>> openRuns = new HashMap<>();
        for (int position = 0; position < items.size(); position++) {
            Item<T> item = items.get(position);
            Optional<String> key = coalescibleKey(item);
            if (key.isEmpty()) {
                // It ends the run of its preview (a closing, a reopening), if there is one.
                previewKey(item).ifPresent(openRuns::remove);
                groups.add(List.of(position));
                continue;
            }
            List<Integer> run = openRuns.get(key.get());
            if (run == null) {
                run = new ArrayList<>();
                openRuns.put(key.get(), run);
                groups.add(run);
            }
            run.add(position);
        }
        List<Integer> handledAt = new ArrayList<>();
        Map<Integer, Handle<T>> handles = new HashMap<>();
        for (List<Integer> group : groups) {
            int newest = group.get(0);
            for (int position : group.subList(1, group.size())) {
                if (!activity(items.get(position)).isBefore(activity(items.get(newest)))) {
                    newest = position;
                }
            }
            int winner = newest;
            handledAt.add(winner);
            handles.put(winner, new Handle<>(items.get(winner).tracked(), group.stream()
                    .filter(position -> position != winner).map(position -> items.get(position).tracked()).toList()));
        }
        return handledAt.stream().sorted().map(handles::get).toList();
    }

    /** The preview an event is about, whatever it does to it: a pull request's number, or a branch. */
    private static Optional<String> previewKey(Item<?> item) {
        if (item.change() instanceof GitChange.PullRequest pr) {
            return Optional.of(item.app() + "\n#" + pr.number());
        }
        if (item.change() instanceof GitChange.Push push) {
            return Optional.of(item.app() + "\n" + push.refName());
        }
        if (item.change() instanceof GitChange.RefDeleted deleted) {
            return Optional.of(item.app() + "\n" + deleted.refName());
        }
        return Optional.empty();
    }

    /** The preview key of an opening or update that a newer one of the same preview may stand for. */
    private static Optional<String> coalescibleKey(Item<?> item) {
        if (item.change() instanceof GitChange.PullRequest pr) {
            return UPDATES.contains(pr.action()) && pr.updatedAt() != null ? previewKey(item) : Optional.empty();
        }
        if (item.change() instanceof GitChange.Push push) {
            return !push.deleted() && push.pushedAt() != null ? previewKey(item) : Optional.empty();
        }
        return Optional.empty();
    }

    private static Instant activity(Item<?> item) {
        if (item.change() instanceof GitChange.PullRequest pr) {
            return pr.updatedAt();
        }
        return ((GitChange.Push) item.change()).pushedAt();
    }
}
