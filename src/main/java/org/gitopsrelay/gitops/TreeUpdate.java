package org.gitopsrelay.gitops;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.TreeFormatter;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;

/**
 * The root tree a {@link TreeEdit} makes of another: removals first (files or whole folders), then writes. Only the
 * folders on the paths the edit names are read and written again, from the deepest up to the root; every other
 * folder keeps its tree object as it is. So a commit costs what its change costs (and the size of the folders it
 * touches, since Git stores a folder as one object), not the number of files in the repository.
 */
final class TreeUpdate {

    private TreeUpdate() {
    }

    /** What the edit does to one entry of a folder. */
    private sealed interface Change permits Removed, Written, Folder {
    }

    /** Whatever is there, file or folder, goes. */
    private enum Removed implements Change {
        INSTANCE
    }

    /** A regular file with this content, in place of whatever is there. */
    private record Written(ObjectId blob) implements Change {
    }

    /** Changes inside the folder of that name, by entry name. */
    private static final class Folder implements Change {
        /** The folder starts empty: it was removed, then written into. */
        final boolean cleared;
        /** Something is written below: the folder exists afterwards, even where a file or nothing was. */
        boolean written;
        final Map<String, Change> changes = new HashMap<>();

        Folder(boolean cleared) {
            this.cleared = cleared;
        }
    }

    /** A tree entry: its name as stored (raw bytes), its mode and its object. */
    private record Entry(byte[] name, FileMode mode, ObjectId id) {
        boolean isTree() {
            return FileMode.TREE.equals(mode);
        }
    }

    /**
     * The id of {@code tree} (null for a branch with no commit yet) with {@code edit} applied; the same id when the
     * edit changes nothing. New objects go through {@code inserter}, which the caller flushes.
     */
    static ObjectId apply(ObjectReader reader, ObjectInserter inserter, ObjectId tree, TreeEdit edit)
            throws IOException {
        Folder root = new Folder(false);
        removals: for (String removal : edit.removals()) {
            String[] names = removal.split("/");
            Folder folder = root;
            for (int i = 0; i < names.length - 1; i++) {
                Change change = folder.changes.get(names[i]);
                if (change == Removed.INSTANCE) {
                    continue removals;
                }
                if (change == null) {
                    change = new Folder(false);
                    folder.changes.put(names[i], change);
                }
                // Removals come before writes: nothing here is a Written yet.
                folder = (Folder) change;
            }
            folder.changes.put(names[names.length - 1], Removed.INSTANCE);
        }
        for (Map.Entry<String, byte[]> write : edit.writes().entrySet()) {
            String[] names = write.getKey().split("/");
            Folder folder = root;
            for (int i = 0; i < names.length - 1; i++) {
                Change change = folder.changes.get(names[i]);
                if (!(change instanceof Folder)) {
                    // Nothing yet, or removed by this edit; never a Written (TreeEdit refuses a file and a folder).
                    Folder created = new Folder(change == Removed.INSTANCE);
                    folder.changes.put(names[i], created);
                    change = created;
                }
                folder = (Folder) change;
                folder.written = true;
            }
            ObjectId blob = inserter.insert(Constants.OBJ_BLOB, write.getValue());
            folder.changes.put(names[names.length - 1], new Written(blob));
        }
        ObjectId result = write(reader, inserter, tree, root);
        return result != null ? result : inserter.insert(new TreeFormatter());
    }

    /**
     * The new id of folder {@code tree} (null when there was none) once {@code folder}'s changes are applied; the
     * same id when they change nothing, null when the folder ends up empty (Git keeps no empty folder).
     */
    private static ObjectId write(ObjectReader reader, ObjectInserter inserter, ObjectId tree, Folder folder)
            throws IOException {
        // By name, as bytes read one to one into chars: a name that is not UTF-8 is kept as it is.
        Map<String, Entry> entries = new LinkedHashMap<>();
        if (tree != null && !folder.cleared) {
            for (CanonicalTreeParser parser = new CanonicalTreeParser(null, reader, tree); !parser.eof(); parser
                    .next()) {
                byte[] name = new byte[parser.getNameLength()];
                parser.getName(name, 0);
                entries.put(key(name), new Entry(name, parser.getEntryFileMode(), parser.getEntryObjectId()));
            }
        }
        boolean changed = tree == null || folder.cleared;
        for (Map.Entry<String, Change> change : folder.changes.entrySet()) {
            byte[] name = change.getKey().getBytes(StandardCharsets.UTF_8);
            String key = key(name);
            Entry before = entries.get(key);
            if (change.getValue() == Removed.INSTANCE) {
                changed |= entries.remove(key) != null;
            } else if (change.getValue() instanceof Written written) {
                entries.put(key, new Entry(name, FileMode.REGULAR_FILE, written.blob()));
                changed = true;
            } else {
                Folder below = (Folder) change.getValue();
                ObjectId belowTree = before != null && before.isTree() ? before.id() : null;
                if (belowTree == null && !below.written) {
                    // Removals inside a folder that is not there (a file, or nothing): nothing to do.
                    continue;
                }
                ObjectId id = write(reader, inserter, belowTree, below);
                if (id == null) {
                    entries.remove(key);
                    changed = true;
                } else if (!id.equals(belowTree)) {
                    entries.put(key, new Entry(name, FileMode.TREE, id));
                    changed = true;
                }
            }
        }
        if (!changed) {
            return tree;
        }
        if (entries.isEmpty()) {
            return null;
        }
        List<Entry> sorted = new ArrayList<>(entries.values());
        sorted.sort(TreeUpdate::gitOrder);
        TreeFormatter formatter = new TreeFormatter();
        for (Entry entry : sorted) {
            formatter.append(entry.name(), entry.mode(), entry.id());
        }
        ObjectId id = formatter.computeId(inserter);
        // Written back as it was (a file rewritten with its own content): nothing new to store.
        return id.equals(tree) ? tree : inserter.insert(formatter);
    }

    private static String key(byte[] name) {
        return new String(name, StandardCharsets.ISO_8859_1);
    }

    /** Git's order of a tree's entries: by bytes, a folder's name compared as if it ended with '/'. */
    private static int gitOrder(Entry a, Entry b) {
        byte[] x = a.name();
        byte[] y = b.name();
        int common = Math.min(x.length, y.length);
        for (int i = 0; i < common; i++) {
            int difference = (x[i] & 0xff) - (y[i] & 0xff);
            if (difference != 0) {
                return difference;
            }
        }
        return Integer.compare(after(x, common, a.isTree()), after(y, common, b.isTree()));
    }

    private static int after(byte[] name, int at, boolean tree) {
        return at < name.length ? name[at] & 0xff : tree ? '/' : 0;
    }
}
