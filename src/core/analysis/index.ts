/**
 * What the explorer shows about an image, as plain data: the file tree with directory sizes,
 * path search, and wasted space (dive's figures); store-wide sizes live in store-sizes.ts.
 */
export { ancestorsOf, fileTree, flattenVisible, type FileTree, type TreeSort } from './file-tree.ts';
export { searchPaths } from './search.ts';
export { wasted } from './wasted.ts';
