package org.gitopsrelay.gitops;

import java.io.IOException;

import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheBuilder;
import org.eclipse.jgit.dircache.DirCacheEditor;
import org.eclipse.jgit.dircache.DirCacheEntry;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.treewalk.TreeWalk;

/** The root tree a {@link TreeEdit} makes of another: removals first (files or whole folders), then writes. */
final class TreeUpdate {

    private TreeUpdate() {
    }

    /**
     * The id of {@code tree} (null for a branch with no commit yet) with {@code edit} applied; the same id when the
     * edit changes nothing. New objects go through {@code inserter}, which the caller flushes.
     */
    static ObjectId apply(ObjectReader reader, ObjectInserter inserter, ObjectId tree, TreeEdit edit)
            throws IOException {
        DirCache index = DirCache.newInCore();
        DirCacheBuilder builder = index.builder();
        if (tree != null) {
            builder.addTree(new byte[0], DirCacheEntry.STAGE_0, reader, tree);
        }
        builder.finish();
        DirCacheEditor editor = index.editor();
        for (String removal : edit.removals()) {
            editor.add(isFolder(reader, tree, removal) ? new DirCacheEditor.DeleteTree(removal)
                    : new DirCacheEditor.DeletePath(removal));
        }
        for (var write : edit.writes().entrySet()) {
            ObjectId blob = inserter.insert(Constants.OBJ_BLOB, write.getValue());
            editor.add(new DirCacheEditor.PathEdit(write.getKey()) {
                @Override
                public void apply(DirCacheEntry entry) {
                    entry.setFileMode(FileMode.REGULAR_FILE);
                    entry.setObjectId(blob);
                }
            });
        }
        editor.finish();
        return index.writeTree(inserter);
    }

    private static boolean isFolder(ObjectReader reader, ObjectId tree, String path) throws IOException {
        if (tree == null) {
            return false;
        }
        try (TreeWalk walk = TreeWalk.forPath(reader, path, tree)) {
            return walk != null && walk.getFileMode(0).equals(FileMode.TREE);
        }
    }
}
