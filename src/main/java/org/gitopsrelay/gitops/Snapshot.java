package org.gitopsrelay.gitops;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevTree;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.treewalk.filter.AndTreeFilter;
import org.eclipse.jgit.treewalk.filter.PathFilter;
import org.eclipse.jgit.treewalk.filter.TreeFilter;

/**
 * The GitOps branch at one commit, read straight from the object database: no working tree, so reading one file
 * costs the same in a repository of ten apps or ten thousand previews.
 */
public final class Snapshot {

    private final Repository repository;
    private final ObjectId commit;
    private final RevTree tree;
    private final CommitFacts.Cache facts;
    private List<CommitFacts> recentHistory;
    private int recentDepth;

    Snapshot(Repository repository, ObjectId commit, RevTree tree, CommitFacts.Cache facts) {
        this.repository = repository;
        this.commit = commit;
        this.tree = tree;
        this.facts = facts;
    }

    /** The commit this snapshot shows; empty for a branch that does not exist yet. */
    public Optional<String> commit() {
        return Optional.ofNullable(commit).map(ObjectId::name);
    }

    ObjectId commitId() {
        return commit;
    }

    RevTree tree() {
        return tree;
    }

    public Optional<String> read(String path) {
        if (tree == null) {
            return Optional.empty();
        }
        try (ObjectReader reader = repository.newObjectReader();
                TreeWalk walk = TreeWalk.forPath(reader, TreeEdit.checked(path), tree)) {
            if (walk == null || !walk.getFileMode(0).equals(FileMode.REGULAR_FILE)
                    && !walk.getFileMode(0).equals(FileMode.EXECUTABLE_FILE)) {
                return Optional.empty();
            }
            byte[] bytes = reader.open(walk.getObjectId(0), Constants.OBJ_BLOB).getBytes();
            return Optional.of(new String(bytes, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + path + " at " + commit().orElse("(empty)"), e);
        }
    }

    /**
     * The files changed by the commits made since {@code older} (each against its parent, so that a change and its
     * revert both count), when those commits are someone else's: empty when this snapshot does not descend from
     * {@code older}, when more than {@code limit} commits came since, or when one of them is the relay's (a
     * {@code Relay-Event:} trailer: another replica, which may have acted on the same events, so that a plan must
     * be made again rather than reused).
     */
    Optional<Set<String>> changedSince(Snapshot older, int limit) {
        if (commit == null || older.commit == null) {
            return Optional.empty();
        }
        Set<String> paths = new HashSet<>();
        try (RevWalk walk = new RevWalk(repository); ObjectReader reader = repository.newObjectReader()) {
            RevCommit tip = walk.parseCommit(commit);
            RevCommit base = walk.parseCommit(older.commit);
            if (!walk.isMergedInto(base, tip)) {
                return Optional.empty();
            }
            walk.reset();
            walk.markStart(tip);
            walk.markUninteresting(base);
            int seen = 0;
            for (RevCommit each : walk) {
                if (++seen > limit || !CommitFacts.eventIds(each).isEmpty()) {
                    return Optional.empty();
                }
                paths.addAll(CommitFacts.changedPaths(walk, reader, each));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot compare two GitOps commits", e);
        }
        return Optional.of(paths);
    }

    /**
     * Whether one of the last {@code depth} commits up to this one names the event in a {@code Relay-Event:} trailer
     * and changed {@code path}: the branch holds (or held) that event's change to that file, so a redelivered event
     * commits nothing twice there, while an environment it has not reached yet is still deployed. The history is
     * read once per snapshot and depth; safe to call from the threads planning a batch.
     */
    public boolean committed(String eventId, String path, int depth) {
        for (CommitFacts each : recentHistory(depth)) {
            if (each.eventIds().contains(eventId) && each.changedPaths().contains(path)) {
                return true;
            }
        }
        return false;
    }

    private synchronized List<CommitFacts> recentHistory(int depth) {
        if (recentHistory != null && recentDepth == depth) {
            return recentHistory;
        }
        List<CommitFacts> history = new ArrayList<>();
        if (commit != null) {
            try (RevWalk walk = new RevWalk(repository); ObjectReader reader = repository.newObjectReader()) {
                walk.markStart(walk.parseCommit(commit));
                for (RevCommit each : walk) {
                    history.add(facts.of(walk, reader, each));
                    if (history.size() >= depth) {
                        break;
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot read the GitOps history", e);
            }
        }
        recentHistory = List.copyOf(history);
        recentDepth = depth;
        return recentHistory;
    }

    /**
     * The commits among the last {@code depth} up to this one that changed {@code path}, newest first, at most
     * {@code limit}: what an environment's overlay was, commit by commit. Compares one path per commit (a few tree
     * lookups), so it costs the depth, not the size of the repository.
     */
    public List<FileChange> changesOf(String path, int limit, int depth) {
        List<FileChange> changes = new ArrayList<>();
        if (commit == null) {
            return changes;
        }
        String checked = TreeEdit.checked(path);
        try (RevWalk walk = new RevWalk(repository); ObjectReader reader = repository.newObjectReader()) {
            walk.markStart(walk.parseCommit(commit));
            int seen = 0;
            for (RevCommit each : walk) {
                if (++seen > depth || changes.size() >= limit) {
                    break;
                }
                ObjectId now = blobAt(reader, each.getTree(), checked);
                ObjectId before = each.getParentCount() == 0 ? null
                        : blobAt(reader, walk.parseCommit(each.getParent(0)).getTree(), checked);
                if (Objects.equals(now, before)) {
                    continue;
                }
                Optional<String> content = now == null ? Optional.empty()
                        : Optional.of(new String(reader.open(now, Constants.OBJ_BLOB).getBytes(),
                                StandardCharsets.UTF_8));
                changes.add(new FileChange(each.name(), Instant.ofEpochSecond(each.getCommitTime()),
                        each.getShortMessage(), CommitFacts.eventIds(each), content));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the history of " + path, e);
        }
        return changes;
    }

    /** The blob at {@code path} in {@code root}; null when there is none (or it is a folder). */
    private static ObjectId blobAt(ObjectReader reader, RevTree root, String path) throws IOException {
        try (TreeWalk found = TreeWalk.forPath(reader, path, root)) {
            return found == null || found.getFileMode(0).equals(FileMode.TREE) ? null : found.getObjectId(0);
        }
    }

    /**
     * The oldest commit, in the history leading to this one, that changed {@code path} (where it first appeared);
     * empty when none did. Walks the whole history: for rare questions only.
     */
    public Optional<String> firstChange(String path) {
        if (commit == null) {
            return Optional.empty();
        }
        try (RevWalk walk = new RevWalk(repository)) {
            walk.setTreeFilter(AndTreeFilter.create(PathFilter.create(TreeEdit.checked(path)), TreeFilter.ANY_DIFF));
            walk.markStart(walk.parseCommit(commit));
            RevCommit oldest = null;
            for (RevCommit changed : walk) {
                oldest = changed;
            }
            return Optional.ofNullable(oldest).map(RevCommit::name);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the history of " + path, e);
        }
    }

    /**
     * Orders two commits of this history by age: an ancestor comes before its descendants; commits on parallel
     * lines by committer time.
     */
    public int compareAge(String first, String second) {
        if (first.equals(second)) {
            return 0;
        }
        try (RevWalk walk = new RevWalk(repository)) {
            RevCommit a = walk.parseCommit(ObjectId.fromString(first));
            RevCommit b = walk.parseCommit(ObjectId.fromString(second));
            if (walk.isMergedInto(a, b)) {
                return -1;
            }
            walk.reset();
            if (walk.isMergedInto(b, a)) {
                return 1;
            }
            return Integer.compare(a.getCommitTime(), b.getCommitTime());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the GitOps history", e);
        }
    }

    /** Whether {@code path} is a folder: one lookup, whatever the folder holds. */
    public boolean isFolder(String path) {
        if (tree == null) {
            return false;
        }
        try (ObjectReader reader = repository.newObjectReader();
                TreeWalk walk = TreeWalk.forPath(reader, TreeEdit.checked(path), tree)) {
            return walk != null && walk.getFileMode(0).equals(FileMode.TREE);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot look up " + path + " at " + commit().orElse("(empty)"), e);
        }
    }

    /** Names of the folders directly inside {@code dir}, in the repository's order. */
    public List<String> folders(String dir) {
        List<String> names = new ArrayList<>();
        if (tree == null) {
            return names;
        }
        try (ObjectReader reader = repository.newObjectReader();
                TreeWalk parent = TreeWalk.forPath(reader, TreeEdit.checked(dir), tree)) {
            if (parent == null || !parent.getFileMode(0).equals(FileMode.TREE)) {
                return names;
            }
            try (TreeWalk children = new TreeWalk(reader)) {
                children.addTree(parent.getObjectId(0));
                children.setRecursive(false);
                while (children.next()) {
                    if (children.getFileMode(0).equals(FileMode.TREE)) {
                        names.add(children.getNameString());
                    }
                }
            }
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + dir, e);
        }
    }

    /** How many folders {@code dir} holds directly: one read of its listing, no name decoded, no folder opened. */
    public int countFolders(String dir) {
        if (tree == null) {
            return 0;
        }
        try (ObjectReader reader = repository.newObjectReader();
                TreeWalk parent = TreeWalk.forPath(reader, TreeEdit.checked(dir), tree)) {
            if (parent == null || !parent.getFileMode(0).equals(FileMode.TREE)) {
                return 0;
            }
            int count = 0;
            for (CanonicalTreeParser children = new CanonicalTreeParser(null, reader, parent.getObjectId(0)); !children
                    .eof(); children.next()) {
                if (children.getEntryFileMode().equals(FileMode.TREE)) {
                    count++;
                }
            }
            return count;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + dir, e);
        }
    }

    /**
     * Writes the files below {@code dir}, with {@code edit} applied, under {@code target} (at the same relative
     * paths), so that a tool such as Kustomize can read them. Only that folder is written: its cost follows the size
     * of one app, not of the repository.
     */
    public void materialize(String dir, TreeEdit edit, Path target) {
        materialize(dir, edit, target, path -> true);
    }

    /**
     * As above, writing only the paths {@code include} accepts. It is asked about each file below {@code dir}, and
     * about each folder below it, by its path with a trailing '/': a folder it refuses is skipped whole, without
     * reading what it holds (so that a render can leave ten thousand previews out for the cost of one listing).
     */
    public void materialize(String dir, TreeEdit edit, Path target, java.util.function.Predicate<String> include) {
        try {
            eachFile(dir, edit, include, (path, mode, id, reader) -> {
                Path file = inside(target, path);
                Files.createDirectories(file.getParent());
                // A link could point outside the folder; a renderer must never follow it there.
                if (!mode.equals(FileMode.SYMLINK)) {
                    Files.write(file, reader.open(id, Constants.OBJ_BLOB).getBytes());
                }
            });
            for (Map.Entry<String, byte[]> write : writesBelow(dir, edit, include)) {
                Path file = inside(target, write.getKey());
                Files.createDirectories(file.getParent());
                Files.write(file, write.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + dir + " to " + target, e);
        }
    }

    /**
     * A digest of what {@link #materialize(String, TreeEdit, Path, java.util.function.Predicate)} would write, from
     * the tree's object ids alone (no file is read): every path with its content, except that a path of
     * {@code standIns} counts with the content given there. Equal digests: the same files, but for the stand-ins.
     */
    public String fingerprint(String dir, TreeEdit edit, java.util.function.Predicate<String> include,
            Map<String, byte[]> standIns) {
        java.util.SortedMap<String, String> contents = new java.util.TreeMap<>();
        try {
            eachFile(dir, edit, include, (path, mode, id, reader) -> {
                if (!mode.equals(FileMode.SYMLINK)) {
                    contents.put(path, id.name());
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + dir + " at " + commit().orElse("(empty)"), e);
        }
        for (Map.Entry<String, byte[]> write : writesBelow(dir, edit, include)) {
            contents.put(write.getKey(), sha256(write.getValue()));
        }
        standIns.forEach((path, content) -> {
            if (contents.containsKey(path)) {
                contents.put(path, sha256(content));
            }
        });
        StringBuilder all = new StringBuilder();
        contents.forEach((path, content) -> all.append(path).append('\0').append(content).append('\n'));
        return sha256(all.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** One file of the tree, as {@link #eachFile} finds it. */
    @FunctionalInterface
    private interface FileVisit {
        void accept(String path, FileMode mode, ObjectId id, ObjectReader reader) throws IOException;
    }

    /**
     * Each file of the tree below {@code dir} that {@code include} accepts and {@code edit} does not remove, but for
     * submodules. {@code include} is asked about each folder too, by its path with a trailing '/': a folder it
     * refuses is skipped whole, without reading what it holds.
     */
    private void eachFile(String dir, TreeEdit edit, java.util.function.Predicate<String> include, FileVisit visit)
            throws IOException {
        if (tree == null) {
            return;
        }
        String prefix = TreeEdit.checked(dir) + "/";
        try (ObjectReader reader = repository.newObjectReader(); TreeWalk walk = new TreeWalk(reader)) {
            walk.addTree(tree);
            walk.setRecursive(false);
            walk.setFilter(PathFilter.create(dir));
            while (walk.next()) {
                String path = walk.getPathString();
                if (walk.isSubtree()) {
                    // The filter lets through only dir, the folders above it, and what is below it.
                    if (!path.startsWith(prefix) || include.test(path + "/") && !removed(path, edit)) {
                        walk.enterSubtree();
                    }
                    continue;
                }
                FileMode mode = walk.getFileMode(0);
                if (include.test(path) && !removed(path, edit) && !mode.equals(FileMode.GITLINK)) {
                    visit.accept(path, mode, walk.getObjectId(0), reader);
                }
            }
        }
    }

    /** The files the edit writes below {@code dir} that {@code include} accepts. */
    private static List<Map.Entry<String, byte[]>> writesBelow(String dir, TreeEdit edit,
            java.util.function.Predicate<String> include) {
        String prefix = TreeEdit.checked(dir) + "/";
        return edit.writes().entrySet().stream()
                .filter(write -> write.getKey().startsWith(prefix) && include.test(write.getKey())).toList();
    }

    private static String sha256(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A tree entry named {@code ..} (which Git itself refuses, but a crafted tree may hold) stays out. */
    private static Path inside(Path target, String path) {
        Path file = target.resolve(TreeEdit.checked(path)).normalize();
        if (!file.startsWith(target.normalize())) {
            throw new IllegalArgumentException("not a repository path: " + path);
        }
        return file;
    }

    private static boolean removed(String path, TreeEdit edit) {
        for (String removal : edit.removals()) {
            if (path.equals(removal) || path.startsWith(removal + "/")) {
                return true;
            }
        }
        return false;
    }
}
