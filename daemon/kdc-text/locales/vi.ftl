# KDC Sync — tiếng Việt. Every text a person reads: one message per thing, the same id in
# en.ftl. Numbers passed as numbers print as 1.234; percentages and dates come formatted.
# A message that reads the same in both languages says so in a comment holding
# "Same in both languages" (the test accepts it only then).

## Shared by every surface

households-count = { $count } hộ
role-head = Trưởng khu
role-member = Thành viên
role-ward = Phường

## kdc (the command line)

cli-error-prefix = lỗi:{" "}
cli-xlsx-needs-output = định dạng xlsx cần tệp đầu ra: thêm -o TỆP.xlsx
cli-daemon-sent-bad-snapshot = kdcd trả về snapshot hỏng cho khu { $area }: { $reason }; không ghi tệp
cli-area-created = Đã tạo khu { $id } ({ $name }, { $ward })
cli-household-added = Đã thêm hộ { $hh } vào khu { $area }
cli-household-updated = Đã cập nhật hộ { $hh } của khu { $area }
cli-household-archived = Đã lưu trữ hộ { $hh } của khu { $area }: hộ không còn được tính vào số liệu
cli-invite-header = Mã mời vào khu { $area } (dùng một lần, hết hạn lúc { $expires_at }):
cli-invite-hint = Trên thiết bị mới (cùng mạng Wi-Fi), quét mã QR hoặc chạy: kdc join MÃ_MỜI
cli-joined = Đã tham gia khu { $area }; dữ liệu của khu đã có trên thiết bị này
cli-peer-dialling = Đang kết nối tới { $addr }; sẽ tự kết nối lại khi mất kết nối
cli-no-peers = Chưa thấy thiết bị nào. Thiết bị cùng mạng Wi-Fi sẽ tự xuất hiện; hoặc: kdc peer add MULTIADDR
cli-col-connected = Đang kết nối
cli-col-last-seen = Thấy lần cuối
cli-col-in-sync = Khu đã đồng bộ
cli-col-version = Phiên bản
cli-col-addresses = Địa chỉ
cli-met = Đạt
cli-not-met = Chưa đạt
cli-not-applicable = —
cli-yes = có
cli-no = không
cli-unknown-answer = chưa rõ
cli-not-recorded = chưa ghi
cli-encouraged = khuyến khích
cli-col-area = Khu
cli-col-name = Tên
cli-col-ward = Phường/xã
cli-col-households = Số hộ
cli-col-criterion = Tiêu chí
cli-col-result = Kết quả
cli-col-percent = Tỷ lệ
cli-col-threshold = Ngưỡng
cli-col-met = Đánh giá
cli-col-unknown = Chưa rõ
cli-col-group = Tổ
cli-col-house = Mã hộ
cli-col-address = Địa chỉ
cli-col-missing = Chưa đạt
cli-col-field = Trường
cli-col-value = Giá trị
cli-col-winner = Giá trị đang dùng
cli-col-values = Các giá trị (thiết bị)
# Same in both languages: libp2p's name, shown as is.
cli-col-peer-id = Peer ID
cli-col-role = Vai trò
cli-col-added = Thêm lúc
cli-col-state = Trạng thái
cli-active = hoạt động
cli-removed = đã gỡ
cli-archived-mark = đã lưu trữ
cli-listen-header = Địa chỉ lắng nghe:
cli-none-yet = (chưa có)
cli-no-areas = Chưa có khu nào trên thiết bị này. Tạo khu: kdc area create AREA --name TÊN --ward PHƯỜNG
cli-no-data = chưa có dữ liệu
cli-households-line = Số hộ đang theo dõi: { $households }
cli-required-met-line = Đạt { $met }/{ $total } tiêu chí bắt buộc
cli-groups-header = Theo tổ dân phố:
cli-no-group = (không có tổ)
cli-col-required-met = Tiêu chí bắt buộc đạt
cli-col-incomplete = Hộ thiếu members_14plus
cli-household-header = Hộ { $hh } — khu { $area }
cli-archived-line = Trạng thái: đã lưu trữ (không tính vào số liệu)
cli-updated-line = Cập nhật lần cuối: { $at } bởi { $by }
cli-no-households = Không có hộ nào.
cli-via-relay = qua máy chuyển tiếp
cli-no-relays = Khu chưa có máy chuyển tiếp: chỉ đồng bộ được trong cùng mạng Wi-Fi hoặc qua địa chỉ đã nhập.
cli-col-relay = Máy chuyển tiếp
cli-no-members = Chưa có thành viên.
cli-no-conflicts = Không có xung đột.
cli-conflicts-hint = Ghi lại giá trị đúng bằng `kdc household set AREA HH FIELD=VALUE` để giải quyết xung đột.
cli-checksum-line = Mã kiểm tra SHA-256: khớp ({ $checksum })
cli-col-archived = Đã lưu trữ
cli-col-members = Thiết bị
cli-col-last-change = Thay đổi cuối
cli-col-profile = Bộ tiêu chí
cli-col-member = Thành viên
cli-col-last-sync = Đồng bộ lần cuối với máy này
cli-never-synced = chưa đồng bộ
cli-status-at-line = Tình trạng vào cuối ngày { $day }
cli-area-not-yet = khu { $area } chưa có vào cuối ngày { $day }
cli-history-header = Tiến độ theo ngày — { $name } ({ $id })
cli-household-history-header = Lịch sử thay đổi của hộ { $hh } — khu { $area }
cli-no-history = Không có thay đổi nào trong khoảng ngày này.
cli-since-after-until = --since: ngày bắt đầu phải trước hoặc bằng --until
cli-col-date = Ngày
cli-col-changes = Số thay đổi
cli-col-certified = Công nhận
cli-col-not-met = Tiêu chí bắt buộc chưa đạt
cli-col-time = Thời điểm
cli-col-device = Thiết bị (người ghi)
cli-col-change = Cũ → mới
cli-daemon-not-running = kdcd chưa chạy cho thư mục dữ liệu { $dir }; hãy khởi động bằng: kdcd --data-dir { $dir }
cli-storage-failed = { $reason ->
        [disk_full] ổ đĩa chứa thư mục dữ liệu đã đầy, thay đổi chưa được lưu. Hãy giải phóng dung lượng trên ổ đĩa đó; kdcd sẽ lưu được ngay khi có chỗ trống, không cần khởi động lại
        [read_only] thư mục dữ liệu đang ở chế độ chỉ đọc, thay đổi chưa được lưu. Hãy cho phép ghi lại (gắn lại ổ đĩa ở chế độ đọc-ghi, hoặc sửa ổ đĩa nếu hệ thống đã chuyển sang chỉ đọc vì lỗi đĩa)
       *[other] không ghi được vào thư mục dữ liệu, thay đổi chưa được lưu; kdcd sẽ thử lại ở lần ghi sau
    } ({ $message })
cli-no-data-dir = không xác định được thư mục dữ liệu; hãy dùng --data-dir DIR
cli-cannot-read = không đọc được { $path }
cli-cannot-write = không ghi được { $path }
cli-invalid-snapshot = { $path } không phải tệp snapshot hợp lệ: { $reason }
cli-different-areas-same-id = khu dân cư "{ $id }" trong { $first } và trong { $second } là hai khu khác nhau (được tạo riêng) dù cùng mã; không gộp được
cli-snapshot-merged = Đã gộp { $inputs } tệp vào { $path }: { $areas } khu dân cư
cli-report-written = Đã ghi báo cáo { $path }: { $areas } khu dân cư, { $certified } khu đạt chuẩn
cli-consent-recorded = { $state ->
        [given] Đã ghi nhận hộ { $hh } của khu { $area } đồng ý cung cấp thông tin
        [refused] Đã ghi nhận hộ { $hh } của khu { $area } từ chối: chỉ giữ mã hộ, không ghi thông tin nào khác
       *[other] Đã ghi nhận hộ { $hh } của khu { $area } rút lại đồng ý: các câu trả lời của hộ đã bị xóa
    }
cli-consent-line = Đồng ý: { $state ->
        [given] đã đồng ý
        [refused] từ chối
        [withdrawn] đã rút lại đồng ý
       *[other] chưa ghi nhận
    }{ $method ->
        [written] {" "}(bằng văn bản)
        [verbal] {" "}(bằng lời)
       *[other] {""}
    }{ $at }
cli-snapshot-encryption = { $keys ->
        [0] Tệp không mã hóa: khu chưa có khóa của phường (kdc member add … --role ward --recipient)
       *[other] Đã mã hóa: chỉ { $keys } khóa của phường và máy này mở được tệp
    }
cli-ward-key-made = Đã tạo khóa của phường: { $path } (giữ bí mật, cất một bản sao an toàn)
    Khóa công khai (đưa cho các khu): { $recipient }
cli-seal-no-identity = tệp đã được mã hóa cho UBND phường; không khóa nào đã cho mở được tệp (đưa khóa của phường bằng --identity TỆP)
cli-seal-damaged = tệp mã hóa bị hỏng ({ $detail })
cli-snapshot-exported = Đã xuất khu { $area } ra { $path } ({ $bytes } byte)
cli-snapshot-imported-new = Đã tạo khu { $id } từ snapshot ({ $count } hộ)
cli-snapshot-imported-merged = Đã gộp snapshot vào khu { $id } ({ $count } hộ)
cli-member-added = Đã ghi { $name } ({ $peer }) vào danh sách thành viên khu { $area }, vai trò: { $role }
cli-member-removed = Đã gỡ { $name } ({ $peer }) khỏi khu { $area }: thiết bị này không còn được đồng bộ; dữ liệu đã ghi trước đó vẫn giữ nguyên
# Same in both languages: "Peer ID" is libp2p's name, shown as is.
cli-peer-id-line = Peer ID: { $peer }
cli-device-name-line = Tên thiết bị: { $name }
cli-ward-line = Phường/xã: { $ward }
cli-profile-line = Bộ tiêu chí: { $profile }
cli-no-data-line = { $count } tiêu chí chưa có dữ liệu
cli-certified-line = Đủ điều kiện công nhận khu dân cư công nghệ số: { $certified ->
        [yes] có
       *[no] chưa
    }
cli-incomplete-line = Còn { $count } hộ chưa ghi số nhân khẩu từ 14 tuổi (members_14plus)
cli-group-line = Tổ: { $group }
cli-address-line = Địa chỉ: { $address }
cli-worklist-header = { $count } hộ chưa đạt tiêu chí { $criterion }
cli-relay-changed = { $verb ->
        [added] Đã thêm máy chuyển tiếp { $addr } vào khu { $area }; các thành viên nhận được khi đồng bộ
       *[other] Đã bỏ máy chuyển tiếp { $addr } khỏi khu { $area }
    }
cli-relay-reserved = ✓ kết nối được, đang giữ chỗ
cli-relay-reachable = ✓ kết nối được
cli-relay-unreachable = ✗ không kết nối được
cli-relay-untried = … chưa thử
cli-verify-ok = { $path }: snapshot hợp lệ
cli-format-version-line = Phiên bản định dạng: { $version }
# A calendar day for chrono: 15/08/2026.
cli-date-format = %d/%m/%Y
cli-area-not-in-file = không có khu { $area } trong { $path }; tệp có: { $present }
cli-superseded-copy = lưu ý: { $file } giữ khu { $area } ở kỳ dữ liệu { $epoch }, đã thay bằng kỳ { $by } (có hộ đã bị xóa theo yêu cầu): bỏ qua bản này
