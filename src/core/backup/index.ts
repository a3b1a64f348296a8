/**
 * Account backups: a verified, incremental copy of an account in a private folder, checked
 * offline. See docs/backup.md.
 */
export { DEFAULT_BACKUP_DEADLINE_MS, DEFAULT_MAX_BLOBS, DEFAULT_MAX_REPO_BYTES, runBackup, type BackupOptions, type BackupProgress, type BackupResult } from './backup.js';
export {
  AUDIT_LOG_FILE,
  BLOB_DIR,
  DID_DOCUMENT_FILE,
  MANIFEST_FILE,
  PREFERENCES_FILE,
  REPO_FILE,
  SNAPSHOT_DIR,
  readManifest,
  type BackupManifest,
  type ManifestBlob,
  type ManifestFile,
} from './manifest.js';
export { savedKeySource, type SignatureStatus, type SignatureVerdict } from './signature.js';
export { verifyBackup, type BackupCheck, type BackupVerifyProgress, type BackupVerifyResult } from './verify.js';
