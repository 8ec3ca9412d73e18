/**
 * The slice of dcmjs (no bundled typings) that dicom/ uses: the data dictionary for
 * keyword/VR lookups, and DicomMessage for whole-buffer reads in benches and tests.
 */
declare module 'dcmjs' {
  interface DictionaryEntry {
    tag: string;
    vr: string;
    vm: string;
    name: string;
    version: string;
  }
  interface DcmjsData {
    DicomMetaDictionary: {
      nameMap: Record<string, DictionaryEntry>;
      dictionary: Record<string, DictionaryEntry | undefined>;
    };
    DicomMessage: {
      readFile(
        buffer: ArrayBuffer,
        options?: Record<string, unknown>,
      ): {
        meta: Record<string, unknown>;
        dict: Record<string, unknown>;
      };
    };
  }
  interface Logger {
    setLevel(level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent'): void;
  }
  const dcmjs: { data: DcmjsData; log: Logger & { getLogger(name: string): Logger } };
  export default dcmjs;
}
