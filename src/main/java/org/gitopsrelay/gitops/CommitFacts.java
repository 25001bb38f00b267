package org.gitopsrelay.gitops;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.EmptyTreeIterator;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.treewalk.filter.TreeFilter;

/**
 * What one commit says about the events behind it: the ids in its {@code Relay-Event:} trailers, and the files it
 * changed (only for commits with trailers: the relay's own). A commit never changes, so its facts are worked out once
 * and kept, whichever snapshot asks.
 */
record CommitFacts(Set<String> eventIds, Set<String> changedPaths) {

    /** Past this many changed files (a person's big commit) the rest are not listed: the relay writes few per commit. */
    private static final int MAX_PATHS = 10_000;
    private static final CommitFacts NONE = new CommitFacts(Set.of(), Set.of());

    /** Facts by commit, shared by the snapshots of one cache; emptied when it grows past its bound. */
    static final class Cache {
        private static final int MAX_COMMITS = 20_000;
        private final Map<ObjectId, CommitFacts> byCommit = new ConcurrentHashMap<>();

        CommitFacts of(RevWalk walk, ObjectReader reader, RevCommit commit) {
            CommitFacts known = byCommit.get(commit);
            if (known != null) {
                return known;
            }
            CommitFacts facts = read(walk, reader, commit);
            if (byCommit.size() >= MAX_COMMITS) {
                byCommit.clear();
            }
            byCommit.put(commit.copy(), facts);
            return facts;
        }
    }

    private static CommitFacts read(RevWalk walk, ObjectReader reader, RevCommit commit) {
        Set<String> ids = eventIds(commit);
        return ids.isEmpty() ? NONE : new CommitFacts(ids, changedPaths(walk, reader, commit));
    }

    /** The event ids a commit's {@code Relay-Event:} trailers name: none for anyone else's commit. */
    static Set<String> eventIds(RevCommit commit) {
        Set<String> ids = new HashSet<>();
        for (String line : commit.getFullMessage().split("\n")) {
            if (line.startsWith(PlannedCommit.TRAILER)) {
                ids.add(line.substring(PlannedCommit.TRAILER.length()).strip());
            }
        }
        return Set.copyOf(ids);
    }

    /** The files a commit of {@code walk} changed against its first parent (a root commit: all of them). */
    static Set<String> changedPaths(RevWalk walk, ObjectReader reader, RevCommit commit) {
        Set<String> paths = new HashSet<>();
        try (TreeWalk diff = new TreeWalk(reader)) {
            if (commit.getParentCount() > 0) {
                diff.addTree(walk.parseCommit(commit.getParent(0)).getTree());
            } else {
                diff.addTree(new EmptyTreeIterator());
            }
            diff.addTree(commit.getTree());
            diff.setRecursive(true);
            diff.setFilter(TreeFilter.ANY_DIFF);
            while (diff.next() && paths.size() < MAX_PATHS) {
                paths.add(diff.getPathString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the GitOps history", e);
        }
        return Set.copyOf(paths);
    }
}
