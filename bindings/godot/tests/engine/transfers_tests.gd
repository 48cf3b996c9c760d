extends RefCounted
## Downloads with progress (issue 23, item 3) in the real engine against the dev server:
## bytes equal, the progress signal on the main thread (monotonic, >= 10 reports, the last
## done == total), a cap ("too_large") and a cancel leave no file. Run by test_runner.gd.

const BosBase = preload("res://addons/bosbase/bosbase.gd")

var runner = null  # test_runner.gd: check(), url
var url := ""
var _reports: Array = []
var _off_main := 0


func _init(test_runner: Variant) -> void:
	runner = test_runner
	url = runner.url


func check(ok: bool, what: String) -> void:
	runner.check(ok, what)


func _on_progress(done: int, total: int) -> void:
	if OS.get_thread_caller_id() != OS.get_main_thread_id():
		_off_main += 1
	_reports.append([done, total])


func run() -> void:
	var before: int = runner.passed
	var pb := BosBase.new(url)
	var admin: Variant = await pb.collection("_superusers").auth_with_password(
		"admin@example.com", "admin-password"
	)
	check(admin is Dictionary, "transfers: sign in as the superuser")
	var name := "dlgd_%d" % (Time.get_ticks_usec() % 100000000)
	var fields := [{"name": "doc", "type": "file", "maxSelect": 1, "maxSize": 104857600}]
	var made: Variant = await pb.collections().create(
		{
			"name": name,
			"type": "base",
			"fields": fields,
			"listRule": "",
			"viewRule": "",
			"createRule": ""
		}
	)
	check(made is Dictionary, "transfers: collection created (%s)" % str(made))
	var bytes := "0123456789abcdef".repeat(128 * 1024).to_utf8_buffer()  # 2 MiB
	var record: Variant = await pb.collection(name).create(
		{},
		{
			"files": [{"field": "doc", "bytes": bytes, "filename": "d.bin"}],
			"progress": _on_progress
		}
	)
	check(record is Dictionary and record.doc != "", "transfers: uploaded (%s)" % str(record))
	if not record is Dictionary:
		return
	check(_reports.size() >= 10, "upload: >= 10 progress reports (%d)" % _reports.size())
	check(
		_reports.size() > 0 and _reports[-1][0] == _reports[-1][1] and _reports[-1][1] > bytes.size(),
		"upload: last report done == total, the whole body (%s)" % str(_reports.slice(-1))
	)
	_reports.clear()

	var path := "user://bosbase_download_%s.bin" % name
	var call := pb.download(record, record.doc, path)
	call.progress.connect(_on_progress)
	var result: Variant = await call.finished
	check(
		result is Dictionary and int(result.bytes) == bytes.size(),
		"download result (%s)" % str(result)
	)
	check(FileAccess.get_file_as_bytes(path) == bytes, "downloaded bytes equal the uploaded ones")
	check(_reports.size() >= 10, "download: >= 10 progress reports (%d)" % _reports.size())
	check(_off_main == 0, "progress emitted on the main thread")
	var monotonic := true
	for i in range(1, _reports.size()):
		monotonic = monotonic and _reports[i][0] >= _reports[i - 1][0]
	check(monotonic, "progress monotonic")
	check(
		_reports.size() > 0 and _reports[-1] == [bytes.size(), bytes.size()],
		"last report done == total"
	)
	DirAccess.remove_absolute(ProjectSettings.globalize_path(path))

	var capped: Variant = await pb.download(record, record.doc, path, {"maxBytes": 1000}).finished
	check(
		capped is ClientResponseError and capped.kind == "too_large",
		"over maxBytes: too_large (%s)" % str(capped)
	)
	check(not FileAccess.file_exists(path), "no file after too_large")

	# Cancelled right away through the client: kind "cancelled", nothing left.
	var cancelled_call := pb.download(record, record.doc, path)
	pb.cancel()
	var cancelled: Variant = await cancelled_call.finished
	check(
		cancelled is ClientResponseError and cancelled.kind == "cancelled",
		"cancelled download (%s)" % str(cancelled)
	)
	check(not FileAccess.file_exists(path), "no file after a cancel")
	var dir := DirAccess.open("user://")
	var left := 0
	for f in dir.get_files():
		if f.contains("bosbase_download_") and f.ends_with(".part"):
			left += 1
	check(left == 0, "no temporary file left")
	print("transfers tests: %d checks passed" % (runner.passed - before))
