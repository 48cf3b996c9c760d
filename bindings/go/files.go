package bosbase

// File parts: the trailing `files ...File` of the generated methods (and CallOptions.Files)
// become a BosbaseFiles list handed to bosbase_call_with_files (no context) or
// bosbase_call_async_with_files (a context that can be done), so a call with files is
// cancelled and bounded exactly like any other. The core sends the parts as
// multipart/form-data with the other body fields as `@jsonPayload`.

/*
#include <stdint.h>
#include <stdlib.h>
#include "bosbase.h"
*/
import "C"

import (
	"fmt"
	"io"
	"unsafe"
)

// File is one file part of a call: the record field it fills (e.g. "attachment", or
// "file" for Backups().Upload), the file name the server sees, its content type ("" =
// guessed from the name's extension, else application/octet-stream) and its content:
// Data (copied when the call starts), Path (a file the core streams from disk while the
// request is sent, never read whole into memory) or Reader (read to its end into memory
// when the call starts). Make one with FileBytes, FilePath or FileReader. Printing a File
// shows its field, name and kind of content, never the content.
type File struct {
	Field       string
	Filename    string
	ContentType string
	Data        []byte
	Path        string
	Reader      io.Reader
}

// FileBytes is a part holding data for field, named filename.
func FileBytes(field, filename string, data []byte) File {
	return File{Field: field, Filename: filename, Data: data}
}

// FilePath is a part streamed from the file at path for field, named after the path's
// last element. A path that cannot be read fails the call (Kind "invalid_argument",
// naming the field) before anything is sent.
func FilePath(field, path string) File {
	return File{Field: field, Path: path}
}

// FileReader is a part for field, named filename, holding what r yields. r is read to its
// end into memory when the call starts (the C ABI takes bytes or a path), so a File made
// with it can be sent once; for a large file on disk use FilePath, which streams.
func FileReader(field, filename string, r io.Reader) File {
	return File{Field: field, Filename: filename, Reader: r}
}

// String describes the part without its content.
func (f File) String() string {
	kind := "bytes"
	switch {
	case f.Path != "":
		kind = "path"
	case f.Reader != nil:
		kind = "reader"
	}
	return fmt.Sprintf("bosbase.File{field: %q, filename: %q, %s}", f.Field, f.Filename, kind)
}

// GoString is the %#v form, as String.
func (f File) GoString() string { return f.String() }

// Format prints the safe description for every verb.
func (f File) Format(s fmt.State, verb rune) { formatSafe(s, verb, f) }

// cFiles is the native list of one call's parts; free it when the call has started
// (an asynchronous call keeps its own reference to the parts) or returned.
type cFiles struct {
	ptr *C.BosbaseFiles
}

// newCFiles builds the native list; nil (no list) for no parts. Errors name the field
// and the problem, never the content.
func newCFiles(files []File) (*cFiles, error) {
	if len(files) == 0 {
		return nil, nil
	}
	fs := &cFiles{ptr: C.bosbase_files_new()}
	for _, f := range files {
		if err := fs.add(f); err != nil {
			fs.free()
			return nil, err
		}
	}
	return fs, nil
}

func (fs *cFiles) add(f File) error {
	set := 0
	for _, present := range []bool{f.Data != nil, f.Path != "", f.Reader != nil} {
		if present {
			set++
		}
	}
	if set > 1 {
		return newError(KindInvalidArgument, "file part for field "+quoteField(f.Field)+" sets more than one of Data, Path and Reader")
	}
	var cs cStrings
	defer cs.free()
	field, err := cs.add(f.Field)
	if err != nil {
		return err
	}
	filename, err := cs.optional(f.Filename)
	if err != nil {
		return err
	}
	ctype, err := cs.optional(f.ContentType)
	if err != nil {
		return err
	}
	var status C.BosbaseStatus
	var errOut *C.char
	if f.Path != "" {
		path, err := cs.add(f.Path)
		if err != nil {
			return err
		}
		status = C.bosbase_files_add_path(fs.ptr, field, path, filename, ctype, &errOut)
	} else {
		data := f.Data
		if f.Reader != nil {
			if data, err = io.ReadAll(f.Reader); err != nil {
				return newError(KindInvalidArgument, "file part for field "+quoteField(f.Field)+" cannot be read: "+err.Error())
			}
		}
		var p *C.uint8_t
		if len(data) > 0 {
			// The core copies the bytes before returning; data holds no Go pointers.
			p = (*C.uint8_t)(unsafe.Pointer(&data[0]))
		}
		status = C.bosbase_files_add_bytes(fs.ptr, field, filename, ctype, p, C.size_t(len(data)), &errOut)
	}
	errText := takeString(errOut)
	if status != C.BOSBASE_STATUS_OK {
		return statusError(status, errText)
	}
	return nil
}

// free releases the list; nil is ignored.
func (fs *cFiles) free() {
	if fs == nil || fs.ptr == nil {
		return
	}
	C.bosbase_files_free(fs.ptr)
	fs.ptr = nil
}

// raw is the list for C (NULL for no list).
func (fs *cFiles) raw() *C.BosbaseFiles {
	if fs == nil {
		return nil
	}
	return fs.ptr
}

// optional copies s to C, or gives NULL for "" (the core's default).
func (cs *cStrings) optional(s string) (*C.char, error) {
	if s == "" {
		return nil, nil
	}
	return cs.add(s)
}

// quoteField names a field in an error (field names are not secret; a NUL is dropped).
func quoteField(field string) string {
	return fmt.Sprintf("%q", field)
}
