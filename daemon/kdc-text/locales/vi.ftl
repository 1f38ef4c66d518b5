# KDC Sync — tiếng Việt. Every text a person reads: one message per thing, the same id in
# en.ftl. Numbers passed as numbers print as 1.234; percentages and dates come formatted.
# A message that reads the same in both languages says so in a comment holding
# "Same in both languages" (the test accepts it only then).

## Shared by every surface

households-count = { $count } hộ
role-head = Trưởng khu
role-member = Thành viên
role-ward = Phường

answer-yes = Có
answer-no = Không
answer-unknown = Chưa rõ

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
cli-no-group = (chưa ghi tổ)
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

## The web app

web-address = Địa chỉ
web-area = Khu dân cư
web-board-a-newer-criteria-profile-version = Có bộ tiêu chí mới (phiên bản{" "}
web-board-active-households = hộ đang theo dõi
web-board-asks-for-and-records-each = ): hỏi và ghi nhận đồng ý của hộ trước khi ghi thông tin (Luật 91/2025/QH15). Câu trả lời đã ghi được giữ nguyên.
web-board-by-residential-group = Theo tổ dân phố
web-board-chart-of-required-criteria-met = Biểu đồ số tiêu chí bắt buộc đạt được và số hộ đã ghi theo từng ngày
web-board-criteria = Tiêu chí
web-board-criteria-met = Tiêu chí đạt:{" "}
web-board-encouraged = Khuyến khích
web-board-group-name = tên tổ
web-board-households = Danh sách hộ
web-board-households-2 = Hộ:{" "}
web-board-households-lack-the-count-of = hộ chưa ghi số nhân khẩu từ 14 tuổi — cần ghi đủ trước khi công nhận.
web-board-lack-the-14-count = hộ thiếu số người 14+
web-board-meets-every-criterion-for-certification = Đủ điều kiện công nhận Khu dân cư công nghệ số
web-board-merge-as = Gộp thành “
web-board-most-still-needed = còn thiếu nhiều nhất
web-board-move-to-the-new-profile = Chuyển sang bộ tiêu chí mới
web-board-needs = yêu cầu
web-board-no-household-declined-the-survey = Không có hộ từ chối khảo sát
web-board-no-household-in-scope = Không có hộ thuộc diện
web-board-nothing-recorded-in-scope-yet = Chưa ghi hộ nào thuộc diện
web-board-one-group-is-written-several = Một tổ được ghi theo nhiều cách:{" "}
web-board-one-house-is-recorded-under = Một nhà được ghi bằng nhiều mã (khác chữ hoa, chữ thường):{" "}
web-board-open-each-record-every-answer = Mở từng hộ, ghi đủ câu trả lời vào một hộ, rồi lưu trữ hộ còn lại (mục cuối trang hộ): hộ đã lưu trữ không còn được tính.
web-board-order = Xếp theo:{" "}
web-board-progress-over-time = Tiến độ theo ngày
web-board-solid-required-criteria-met-dashed = Đường liền: số tiêu chí bắt buộc đạt; đường gạch: số hộ đã ghi.
web-board-the-area-s-head-can = Trưởng khu chuyển được.
web-board-the-figures-already-count-them = {"."} Số liệu đã tính chung.
web-board-unknown = hộ chưa rõ
web-conflicts = Xung đột
web-conflicts-no-conflicts-every-device-agrees = Không có xung đột: mọi thiết bị thống nhất.
web-conflicts-two-devices-recorded-different-values = Hai thiết bị đã ghi giá trị khác nhau cho cùng một câu hỏi khi chưa kết nối. Chọn giá trị đúng.
web-declined = từ chối
web-direct = trực tiếp
web-doctor-advanced-this-device-s-addresses = Nâng cao: địa chỉ của thiết bị này
web-doctor-advice = Lời khuyên
web-doctor-answers = trả lời được
web-doctor-beyond-the-wi-fi = Ngoài Wi-Fi
web-doctor-check-again = Kiểm tra lại
web-doctor-connection-check = Kiểm tra kết nối
web-doctor-devices-seen = thiết bị đã thấy:{" "}
web-doctor-does-not-answer = không trả lời
web-doctor-listening-on = Đang nghe tại:{" "}
web-doctor-members-elsewhere-cannot-reach-this = Thành viên ở mạng khác chưa kết nối được máy này.
web-doctor-members-elsewhere-reach-this-device = Thành viên ở mạng khác kết nối được máy này qua máy chuyển tiếp.
web-doctor-no-address-known = chưa biết địa chỉ
web-doctor-not-tried-yet = Chưa thử
web-doctor-off = tắt
web-doctor-on = bật
web-doctor-reservation-held = Đang giữ chỗ
web-doctor-this-area-has-no-other = Khu này chưa có thành viên nào khác.
web-doctor-this-device = Thiết bị này
web-doctor-this-device-has-a-public = Máy này có địa chỉ công khai: thành viên ở mạng khác kết nối thẳng được.
web-doctor-this-device-only = (chỉ trên chính máy này)
web-find-add-a-new-household = Thêm hộ mới
web-find-find-a-house = Tìm mã nhà
web-find-first-type-more-to-narrow = {" "}mã đầu; gõ thêm để thu hẹp
web-find-house-codes-match = mã nhà khớp với “
web-find-no-house-code-matches = Không có mã nhà nào khớp với “
web-find-showing = hiện{" "}
web-group = Tổ
web-group-2 = Tổ dân phố
web-home-area-id-lower-case-letters = Mã khu (chữ thường, số, gạch ngang)
web-home-areas = Khu dân cư
web-home-continue-joining-with-the-invite = Tiếp tục tham gia khu bằng mã mời vừa mở
web-home-create = Tạo khu
web-home-create-an-area = Tạo khu dân cư
web-home-hac-thanh-ward = Phường Hạc Thành
web-home-invite-token-starts-with-kdc1 = Mã mời (bắt đầu bằng kdc1-)
web-home-join-with-an-invite = Tham gia bằng mã mời
web-home-log-this-browser-out = Đăng xuất trình duyệt này
web-home-meets-certification = Đủ điều kiện công nhận
web-home-members-connected = thành viên đang kết nối
web-home-name = Tên khu
web-home-no-area-yet-create-one = Chưa có khu dân cư nào. Tạo khu mới, hoặc tham gia bằng mã mời của trưởng khu.
web-home-tam-giac-3 = Khu dân cư Tam Giác 3
web-home-the-ward-s-report-from = Tổng hợp báo cáo từ tệp dữ liệu của các khu →
web-home-this-device-s-areas = Khu dân cư của thiết bị này
web-home-ward-office = Cán bộ phường
web-household = Hộ{" "}
web-household-address-no-names = Địa chỉ (không ghi tên người)
web-household-an-archived-household-leaves-every = Hộ đã lưu trữ không còn được tính trong mọi tiêu chí; dữ liệu vẫn được giữ.
web-household-archive = Lưu trữ
web-household-archive-this-household-moved-away = Lưu trữ hộ này (chuyển đi, nhà không còn)…
web-household-archived = Lưu trữ
web-household-archived-moved-away-counts-nowhere = Đã lưu trữ (chuyển đi / không còn): không tính vào tiêu chí
web-household-by = ghi bởi{" "}
web-household-consent = Đồng ý cung cấp thông tin
web-household-consent-form-number-if-any = Số phiếu đồng ý (nếu có)
web-household-consent-given = Đã đồng ý
web-household-delete-the-answers = Xóa câu trả lời
web-household-different-values-from-two-devices = Giá trị khác nhau từ hai thiết bị
web-household-erase = Xóa hẳn
web-household-every-answer-and-the-address = Mọi câu trả lời và địa chỉ của hộ sẽ bị xóa; chỉ giữ mã nhà và tổ để không hỏi lại.
web-household-group-and-address = Tổ và địa chỉ
web-household-history = Lịch sử thay đổi
web-household-household = Hộ
web-household-household-added-record-the-answers = Đã thêm hộ. Ghi các câu trả lời bên dưới.
web-household-i-confirm-archiving = Tôi xác nhận lưu trữ hộ{" "}
web-household-i-confirm-erasing-household = Tôi xác nhận xóa hẳn hộ{" "}
web-household-i-confirm-that-this-household = Tôi xác nhận hộ rút lại đồng ý{" "}
web-household-keep = Chọn{" "}
web-household-last-changed = Cập nhật lần cuối:{" "}
web-household-no-consent-recorded = Chưa ghi nhận đồng ý
web-household-not-a-valid-value-it = Giá trị không hợp lệ, được tính là chưa rõ:{" "}
web-household-not-saved-fix-the-marked = Chưa lưu: sửa ô được đánh dấu rồi bấm Lưu.
web-household-read-this-to-the-resident = Đọc cho người dân nghe trước khi hỏi:
web-household-record-the-right-value = Ghi lại giá trị đúng
web-household-residential-group = Tổ dân phố
web-household-saved-at = Đã lưu lúc{" "}
web-household-show-the-history = Xem lịch sử thay đổi
web-household-shown-now = đang hiển thị:{" "}
web-household-signed-form = {" "}(ký phiếu)
web-household-the-household-declined-do-not = Hộ từ chối cung cấp thông tin: không hỏi lại
web-household-the-household-leaves-the-area = Hộ bị xóa hẳn khỏi dữ liệu và lịch sử của khu trên mọi máy; chỉ giữ mã nhà để biết đã xóa. Số liệu các ngày trước vẫn giữ (không có dữ liệu hộ). Không thể hoàn tác.
web-household-the-household-withdraws-consent = Hộ rút lại đồng ý…
web-household-the-household-withdrew-consent-its = Hộ đã rút lại đồng ý: các câu trả lời đã bị xóa
web-household-the-resident-asks-for-deletion = Người dân yêu cầu xóa dữ liệu…
web-household-verbally = {" "}(bằng lời)
web-households = hộ
web-join = Tham gia
web-join-cannot-reach-the-inviting-device = Không kết nối được với máy đã mời. Hai máy cần cùng một mạng Wi-Fi và máy mời đang chạy kdcd.
web-join-invite-token = Mã mời
web-join-join-an-area = Tham gia khu dân cư
web-join-paste-the-invite-token-it = Dán mã mời (bắt đầu bằng kdc1-).
web-join-this-device-connects-to-the = Thiết bị này sẽ kết nối với máy đã mời và nhận dữ liệu của khu. Có thể mất tới một phút.
web-layout-a-teammate-s-change-has = Dữ liệu vừa được cập nhật từ thiết bị khác.{" "}
web-layout-add = Thêm hộ
web-layout-find = Tìm
web-layout-find-a-house-code = Tìm mã nhà
web-layout-home = Về trang chủ
web-layout-house-code-e-g-t3 = Tìm mã nhà, ví dụ T3-045
web-layout-not-applicable = Không áp dụng
web-layout-not-met = Chưa đạt
web-layout-progress = Tiến độ
web-layout-reload = Tải lại
web-layout-skip-to-content = Bỏ qua đến nội dung
web-layout-the-app-on-this-device = Ứng dụng trên máy đã dừng (mất kết nối với kdcd). Câu trả lời đang nhập vẫn được giữ trên trang này và sẽ tự gửi khi ứng dụng chạy lại. Trên điện thoại: mở Termux và chạy lại kdcd.
web-layout-worklist = Cần hỗ trợ
web-login-and-scan-the-qr-code = {" "}rồi quét mã QR bằng camera điện thoại, hoặc nhập mã vào đây.
web-login-log-in = Đăng nhập
web-login-login-code = Mã đăng nhập
web-login-on-the-area-head-s = Trên máy của trưởng khu, chạy{" "}
web-login-open-the-login-link-that = Mở đường dẫn đăng nhập mà{" "}
web-login-printed-when-it-started-or = {" "}in ra khi khởi động, hoặc chạy{" "}
web-login-this-login-link-cannot-be = Đường dẫn đăng nhập này không dùng được nữa (mỗi đường dẫn chỉ dùng một lần). Hãy lấy đường dẫn mới.
web-login-this-login-link-has-expired = Đường dẫn đăng nhập đã hết hạn (10 phút). Hãy lấy đường dẫn mới.
web-login-you-need-to-log-in = Cần đăng nhập.
web-members = Thành viên
web-met = Đạt
web-mod-a-request-from-another-site = Yêu cầu từ trang khác bị từ chối.
web-mod-not-found = Không tìm thấy
web-mod-the-form-is-too-large = Biểu mẫu quá lớn.
web-mod-there-is-no-such-page = Không có trang này.
web-mod-this-device-cannot-store-data = Không ghi được vào bộ nhớ của máy:
web-mod-this-host-is-not-this = Địa chỉ máy chủ (Host) không hợp lệ.
web-new-household-add-household = Thêm hộ
web-new-household-address-house-number-lane-no = Địa chỉ (số nhà, ngõ — không ghi tên người)
web-new-household-go-to-it = Đến ô cần sửa
web-new-household-house-code-on-the-area = Mã nhà trên bản đồ khu (ví dụ T3-045)
web-new-household-letters-digits-dot-underscore-hyphen = Chữ, số, dấu chấm, gạch dưới, gạch ngang; tối đa 64 ký tự.
web-new-household-new-household = Thêm hộ
web-new-household-not-saved-fix-the-marked = Chưa lưu: sửa ô được đánh dấu rồi bấm Thêm hộ.{" "}
web-new-household-residential-group-pick-or-type = Tổ dân phố (chọn hoặc gõ tổ mới)
web-no-data-yet = Chưa có dữ liệu
web-no-group = (chưa ghi tổ)
web-not-reachable = Không kết nối được
web-not-yet-certifiable = Chưa đủ điều kiện công nhận
web-print-door-to-door-sheets = Phiếu đi từng nhà
web-print-every-group-a-page-each = — Mọi tổ (mỗi tổ một trang) —
web-print-house = Mã nhà
web-print-households-to-visit = hộ cần đến
web-print-needs = Cần hỗ trợ
web-print-no-household-left-to-visit = Không còn hộ nào cần đến.
web-print-printed = in ngày{" "}
web-print-show = Xem phiếu
web-print-to-print-the-browser-s = In: dùng lệnh In của trình duyệt (Ctrl+P), khổ A4. Phiếu chỉ có mã nhà, địa chỉ và việc cần làm.
web-print-visited = Đã đến
web-reachable = Kết nối được
web-required-criteria = tiêu chí bắt buộc
web-save = Lưu
web-team = Nhóm
web-team-a-new-release = Có bản mới:{" "}
web-team-a-relay-lets-phones-on = Máy chuyển tiếp giúp điện thoại dùng 4G đồng bộ với nhau. Nó chỉ chuyển dữ liệu đã mã hoá, không lưu gì của khu.
web-team-add = Thêm
web-team-add-a-device-address = Thêm địa chỉ thiết bị
web-team-add-a-relay-its-full = Thêm máy chuyển tiếp (địa chỉ đầy đủ, kết thúc bằng /p2p/…)
web-team-adopted = Đã nhận kỳ mới
web-team-advanced-devices-on-the-network = Nâng cao: thiết bị trong mạng, thêm địa chỉ
web-team-confirm-removing = Xác nhận bỏ
web-team-confirm-removing-2 = Xác nhận gỡ{" "}
web-team-connect = Kết nối
web-team-copy-token = Sao chép mã
web-team-create-an-invite = Tạo mã mời
web-team-current-epoch = Kỳ dữ liệu hiện tại:{" "}
web-team-device-id = Mã thiết bị
web-team-device-not-on-the-roster = (máy không còn trong khu)
web-team-devices-not-there-yet-take = Máy chưa nhận sẽ nhận khi đồng bộ. Luật yêu cầu xóa trong 15 ngày: máy không quay lại thì gỡ khỏi khu.
web-team-erased-household = Đã xóa hộ{" "}
web-team-erasure-on-request = Xóa dữ liệu theo yêu cầu
web-team-for-this-device-it-runs = {" "}cho máy này (đang dùng bản{" "}
web-team-from-the-area-s-change = Tính từ nhật ký thay đổi của khu: mọi máy đã đồng bộ thấy cùng số liệu.
web-team-has-release = {" "}có bản{" "}
web-team-households-erased = số hộ đã xóa:{" "}
web-team-in-use-members-reach-this = Đang dùng: thành viên kết nối được máy này qua đây
web-team-installed-release = Đã cài bản{" "}
web-team-invite-a-member = Mời thành viên
web-team-join-link = Đường dẫn tham gia
web-team-last-write = ghi lần cuối:{" "}
web-team-latest-erasure = lần xóa gần nhất:{" "}
web-team-may-still-hold-erased-data = {" "}có thể còn dữ liệu đã xóa (máy mất: báo vi phạm trong 72 giờ).
web-team-member = Thành viên
web-team-no-household-recorded-this-week = Tuần này chưa có hộ nào được ghi.
web-team-no-peer-seen-yet = Chưa thấy thiết bị nào.
web-team-no-relay-yet-devices-sync = Khu chưa có máy chuyển tiếp: chỉ đồng bộ khi cùng mạng Wi-Fi.
web-team-not-syncing-check-the-connection = Vì sao chưa đồng bộ? Kiểm tra kết nối
web-team-not-tried-yet = Chưa thử kết nối
web-team-on-the-new-member-s = Trên điện thoại của thành viên mới (đang chạy kdcd), quét mã này bằng camera:
web-team-on-this-device = {" "}trên máy này.
web-team-once-the-area-has-a = Khi khu có máy chuyển tiếp, các máy sau sẽ không nhận được thay đổi của khu cho đến khi cập nhật lên bản{" "}
web-team-open-the-team-page-again = Mở lại trang Nhóm
web-team-or-send-this-token-single = Hoặc gửi mã mời này (dùng một lần, hết hạn lúc{" "}
web-team-peers = Thiết bị ngang hàng
web-team-print-door-to-door-sheets = In phiếu đi từng nhà theo tổ
web-team-receives-none-of-the-area = : không nhận được thay đổi của khu cho đến khi cập nhật lên bản{" "}
web-team-release = bản{" "}
web-team-release-2 = Bản{" "}
web-team-remove = Bỏ
web-team-remove-2 = Gỡ khỏi khu…
web-team-remove-3 = Gỡ
web-team-remove-relay = Bỏ máy chuyển tiếp…
web-team-removed-device = Máy đã gỡ{" "}
web-team-still-holds-erased-data = Còn giữ dữ liệu cũ
web-team-syncing-beyond-the-wi-fi = Đồng bộ ngoài Wi-Fi (máy chuyển tiếp)
web-team-the-area-head-adds-and = Trưởng khu thêm và bỏ máy chuyển tiếp.
web-team-the-team-s-work = Công việc của nhóm
web-team-this-device = thiết bị này
web-team-this-device-is-restarting-on = Máy đang khởi động lại với bản mới (vài giây). Sau đó bấm:
web-team-this-week-new-updated = Tuần này: ghi mới / cập nhật
web-team-today-new-updated = Hôm nay: ghi mới / cập nhật
web-team-update-to = Cập nhật lên bản{" "}
web-team-updating = Đang cập nhật
web-team-updating-takes-the-app-away = Khi cập nhật, ứng dụng ngắt vài giây rồi tự kết nối lại; không mất dữ liệu.
web-team-was = {" "}(thay bản{" "}
web-the-form-is-stale-or = Biểu mẫu đã cũ hoặc không hợp lệ; hãy tải lại trang.
web-through-the-relay = qua máy chuyển tiếp
web-ward = Phường/xã
web-ward-areas = khu dân cư
web-ward-areas-2 = Số khu
web-ward-areas-3 = khu
web-ward-areas-this-device-syncs-live = Khu đồng bộ trực tiếp với máy này
web-ward-at-epoch = {" "}ở kỳ dữ liệu{" "}
web-ward-at-most-120-characters-no = Tối đa 120 ký tự, không có ký tự điều khiển
web-ward-by-ward = Theo phường, xã
web-ward-certified = Đạt
web-ward-certified-areas = Số khu đạt chuẩn
web-ward-choose-at-least-one-kdcsnap = Hãy chọn ít nhất một tệp .kdcsnap.
web-ward-choose-or-drop-every-file = Chọn (hoặc kéo thả) mọi tệp nhận được qua Zalo, USB, thư điện tử: nhiều khu, nhiều máy, trùng lặp cũng được. Tệp được kiểm tra và gộp trong bộ nhớ; không có gì được lưu nếu bạn không bấm "Lưu vào thiết bị này".
web-ward-choose-other-files = Chọn tệp khác
web-ward-devices = thiết bị
web-ward-download-and-store = Tải về và lưu
web-ward-each-area = Từng khu dân cư
web-ward-each-area-by-residential-group = Từng khu, theo tổ dân phố
web-ward-encouraged = khuyến khích
web-ward-files-left-out-the-others = tệp bị loại — các tệp khác vẫn cho báo cáo bên dưới
web-ward-files-used = tệp dùng được
web-ward-has-changes-of-its-own = Có thay đổi riêng: giữ lại
web-ward-households = Số hộ
web-ward-households-were-erased-on-request = {" "}(có hộ đã bị xóa theo yêu cầu): không dùng bản cũ.
web-ward-intact = Nguyên vẹn
web-ward-is-superseded-by-epoch = {" "}đã được thay bằng kỳ{" "}
web-ward-issuing-body-top-left = Cơ quan ban hành (góc trái)
web-ward-last-change = Thay đổi cuối:{" "}
web-ward-last-change-2 = Thay đổi cuối
web-ward-leave-empty-for-the-default = Để trống để dùng mặc định (theo tên phường của các khu). Lưu trên thiết bị này.
web-ward-left-out = Bị loại
web-ward-may-be-deleted = (có thể xóa)
web-ward-merged-file-kdcsnap = Tệp gộp (.kdcsnap)
web-ward-met = Đạt{" "}
web-ward-new-on-this-device = khu mới trên máy này
web-ward-newest-has-every-change-of = Mới nhất: có mọi thay đổi của khu này
web-ward-no = STT
web-ward-no-file-could-be-used = Không tệp nào dùng được: chưa có báo cáo.
web-ward-no-issuing-body-yet-the = Chưa ghi cơ quan ban hành: báo cáo in ra chỉ có chữ “UBND”. Ghi “Cơ quan ban hành” ở mục{" "}
web-ward-not-yet = Chưa đạt
web-ward-one-may-be-deleted = (có thể xóa một tệp)
web-ward-over-7-days-ago = quá 7 ngày
web-ward-place-on-the-date-line = Địa danh (dòng ngày tháng)
web-ward-preparer-s-name = Họ tên người lập biểu
web-ward-preparer-s-title = Chức danh người lập biểu
web-ward-print-the-report = In báo cáo
web-ward-required-criteria = {" "}tiêu chí bắt buộc
web-ward-result = Kết quả
web-ward-same-as = Giống hệt tệp
web-ward-show-the-report = Xem báo cáo
web-ward-signer-s-name = Họ tên người ký
web-ward-signer-s-title = Chức danh người ký
web-ward-stale-everything-is-also-in = Cũ: mọi thay đổi đã có trong
web-ward-store-on-this-device = Lưu vào thiết bị này
web-ward-stored-on-this-device = Đã lưu vào thiết bị này:
web-ward-the-areas-snapshot-files-kdcsnap = Tệp dữ liệu của các khu (.kdcsnap)
web-ward-the-copy-of-area = bản của khu{" "}
web-ward-the-file-did-not-arrive = tệp không nhận được trọn vẹn
web-ward-the-files-chosen = Các tệp đã chọn
web-ward-the-files-did-not-arrive = Không nhận được các tệp đã gửi.
web-ward-the-key-file-cannot-be = Tệp khóa không đọc được
web-ward-the-ward-s-key-for = Khóa của phường (nếu tệp đã mã hóa; không bắt buộc)
web-ward-then-print = {" "}rồi in.
web-ward-there-is-no-such-download = Không có tệp tải về này.
web-ward-this-device-is-a-member = Máy này là thành viên của các khu dưới đây: số liệu cập nhật mỗi khi đồng bộ (cùng Wi-Fi hoặc qua máy chuyển tiếp), không cần chờ tệp.
web-ward-this-report-is-no-longer = Báo cáo này không còn trong bộ nhớ (thiết bị đã khởi động lại hoặc đã có báo cáo mới hơn): hãy chọn lại các tệp ở trang Phường.
web-ward-to-print-use-the-browser = In báo cáo: dùng lệnh In của trình duyệt (Ctrl+P), chọn khổ A4 ngang hoặc "Lưu thành PDF".
web-ward-ward = Phường
web-ward-ward-office-the-areas-report = Phường: tổng hợp báo cáo các khu
web-ward-ward-report = Báo cáo phường
web-ward-what-the-printed-report-says = Thông tin in trên báo cáo (cơ quan, người ký)
web-ward-what-the-printed-report-says-2 = Thông tin in trên báo cáo
web-worklist-all-households = — Tất cả hộ —
web-worklist-all-met = Đạt hết
web-worklist-criterion-not-met = Tiêu chí chưa đạt
web-worklist-declined-do-not-ask-again = Từ chối khảo sát — không hỏi lại
web-worklist-every-group = — Mọi tổ —
web-worklist-households = hộ{" "}
web-worklist-households-to-visit = Hộ cần hỗ trợ
web-worklist-next = Trang sau
web-worklist-not-meeting = chưa đạt:{" "}
web-worklist-not-recorded = chưa ghi
web-worklist-page = Trang{" "}
web-worklist-pages = Trang
web-worklist-previous = Trang trước
web-worklist-show = Xem danh sách
web-worklist-unknown = chưa rõ
web-worklist-worklist = Hộ cần hỗ trợ
web-household-consent-verbal = ✓ Đồng ý (bằng lời)
web-household-consent-written = ✓ Đồng ý (ký phiếu)
web-household-consent-refused = ✗ Từ chối: chỉ ghi mã nhà
web-board-no-data-count = { $count } tiêu chí chưa có dữ liệu
web-ago-now = vừa xong
web-ago-minutes = { $minutes } phút trước
web-ago-hours = { $hours } giờ trước
web-sync-connected = ● Đã kết nối
web-sync-connected-last = ● Đã kết nối · đồng bộ lần cuối: { $ago }
web-sync-last = ○ Đồng bộ lần cuối: { $ago }
web-sync-never = ○ Chưa đồng bộ với máy này
web-needed-unreachable = Không thể đạt nếu không có thêm hộ mới
web-needed-residents = Cần thêm { $count } người
web-needed-households = Cần thêm { $count } hộ
web-needed-businesses = Cần thêm { $count } hộ kinh doanh

## Reports (CSV, XLSX, print) and the ward office's files

report-prepared-by = NGƯỜI LẬP BIỂU
report-signature-full-name = (Ký, ghi rõ họ tên)
report-chairperson = CHỦ TỊCH
report-signature-seal = (Ký tên, đóng dấu)
report-summary = Tổng hợp
report-digital-residential-areas-progress-report = BÁO CÁO TIẾN ĐỘ KHU DÂN CƯ CÔNG NGHỆ SỐ
report-n-a = không áp dụng
report-met = Số đạt
report-total = Tổng số
report-rate = Tỷ lệ
report-report-date = Ngày báo cáo
report-residential-area = Khu dân cư
report-households-declined-not-counted = Hộ từ chối khảo sát (không tính)
report-certified-areas = Số khu dân cư đạt chuẩn
report-areas-in-total = Tổng số khu dân cư
report-by-ward = Theo phường
report-areas = Số khu dân cư
report-required-criteria-met = Tiêu chí bắt buộc đạt
report-incomplete-households = Chưa đủ thông tin (hộ)
report-whole-area = Toàn khu
report-certified-areas-line = Số khu dân cư đủ điều kiện công nhận: { $certified }/{ $total }
report-declined-line = { $declined } hộ từ chối khảo sát ({ $share }): không tính vào tiêu chí nào
report-dated = ngày { $day } tháng { $month } năm { $year }
report-certified = Đạt
report-not-certified = Chưa đạt
ward-not-a-snapshot = không phải tệp dữ liệu KDC (đầu tệp không có chữ ký KDCSNAP)
ward-unsupported-version = tệp ở định dạng phiên bản { $version }, máy này chỉ đọc phiên bản { $supported }: hãy cập nhật KDC Sync
ward-truncated = tệp bị cắt cụt, không trọn vẹn ({ $detail })
ward-checksum = tổng kiểm tra không khớp: tệp bị hỏng
ward-bad-area = khu { $id } trong tệp không hợp lệ: { $reason }
ward-empty = tệp không chứa khu nào
ward-encrypted = tệp đã được mã hóa cho UBND phường; không khóa nào trên máy này mở được: chọn tệp khóa của phường
ward-different-areas = khu { $id } trong tệp này và trong { $first } là hai khu khác nhau dù cùng mã (được tạo riêng): không gộp được
ward-not-merged = không gộp được khu { $id }: { $reason }
ward-no-input = không có tệp nào

## The doctor's advice (kdc doctor, the doctor page)

doctor-relay-unreachable = Không kết nối được máy chuyển tiếp { $relay } (khu { $area }): máy đó tắt, hoặc máy này không có internet. Trong lúc đó chỉ đồng bộ được khi cùng Wi-Fi.
doctor-relay-refused = Máy chuyển tiếp { $relay } (khu { $area }) từ chối giữ chỗ cho máy này: { $error }. Nếu khu có máy chuyển tiếp khác, máy này dùng máy đó.
doctor-no-reservation = Máy này chưa giữ chỗ ở máy chuyển tiếp nào: thành viên ở mạng khác chưa kết nối được tới máy này (máy này vẫn tự kết nối tới họ khi có thể).
doctor-no-relay = Khu { $area } chưa có máy chuyển tiếp: thành viên dùng 4G hoặc ở mạng khác không đồng bộ được. Trưởng khu thêm máy chuyển tiếp ở trang Nhóm{ $surface ->
        [web] {""}
       *[other] {" "}(hoặc `kdc area relay add`)
    }.
doctor-relayed = Đang đồng bộ với { $who } (khu { $area }) qua máy chuyển tiếp{ $direct ->
        [failed] {" "}(không nối thẳng được qua mạng di động hoặc bộ phát)
       *[other] {""}
    }: vẫn đầy đủ, chỉ chậm hơn một chút. Khi hai máy cùng Wi-Fi, chúng nối thẳng.
doctor-erased-data-on-removed-device = Khu { $area }: máy đã gỡ { $name } ({ $peer }) lần cuối giữ kỳ dữ liệu { $held }, trước lần xóa hộ gần nhất (kỳ { $epoch }): máy đó có thể còn dữ liệu đã xóa. Nếu máy bị mất, hãy báo cho người phụ trách bảo vệ dữ liệu (thông báo vi phạm trong 72 giờ).
doctor-erasure-pending = Khu { $area }: { $names } chưa nhận kỳ dữ liệu { $epoch } (sau lần xóa hộ): các máy này nhận khi đồng bộ; máy không quay lại thì gỡ khỏi khu.
feature-relays = máy chuyển tiếp của khu
feature-max-declined = giới hạn hộ từ chối trong bộ tiêu chí
doctor-member-behind = Khu { $area }: máy của { $name } dùng bản { $version }, khu cần bản { $need } trở lên{ $reasons ->
        [0] {""}
       *[other] {" "}(vì { $why })
    }. Máy đó vẫn gửi được dữ liệu của mình nhưng không nhận thay đổi của cả nhóm cho đến khi cập nhật: cập nhật máy đó lên bản { $need } (kdc update, hoặc chép bản mới vào máy).
doctor-no-network = Thiết bị không có địa chỉ mạng nào ngoài chính nó: hãy bật Wi-Fi và kết nối cùng mạng với nhóm.
doctor-removed-here = Thiết bị này không (còn) là thành viên của khu { $area }: nhờ trưởng khu thêm lại, hoặc quét mã mời mới.
doctor-mdns-off = Tự tìm thiết bị trong mạng (mDNS) đang tắt hoặc không chạy được: dùng mã mời (có sẵn địa chỉ) hoặc { $surface ->
        [web] mục “Nâng cao” của trang Nhóm (thêm địa chỉ thiết bị)
       *[other] `kdc peer add ĐỊA_CHỈ`
    }.
doctor-mdns-silent = Chưa thấy thiết bị nào trả lời mDNS: Wi-Fi có thể chặn multicast hoặc cách ly máy khách (Wi-Fi khách, một số bộ phát; Termux trên Android không giữ được khóa multicast). Dùng mã mời hoặc { $surface ->
        [web] mục “Nâng cao” của trang Nhóm (thêm địa chỉ thiết bị)
       *[other] `kdc peer add ĐỊA_CHỈ`
    }.
doctor-never-seen = Chưa từng thấy { $who } trong khu { $area }: nhờ họ { $surface ->
        [web] mở ứng dụng KDC Sync trên cùng Wi-Fi, hoặc thêm địa chỉ của họ ở mục “Nâng cao” của trang Nhóm
       *[other] mở kdcd trên cùng Wi-Fi, hoặc thêm địa chỉ của họ bằng `kdc peer add`
    }.
doctor-unreachable = Không kết nối được tới { $who } (khu { $area }) ở địa chỉ đã biết: máy tắt, ở mạng khác, hoặc tường lửa chặn cổng.
doctor-reachable-not-syncing = { $who } (khu { $area }) trả lời nhưng chưa đồng bộ: có thể thiết bị này không có trong danh sách thành viên của họ; thử lại sau vài giây.
doctor-refused = Lần đồng bộ gần nhất với { $who } (khu { $area }) bị từ chối: { $reason }
doctor-clock = Khu { $area } có thay đổi ghi lúc sau đồng hồ máy này { $minutes } phút: đồng hồ của máy này hoặc của máy kia bị lệch; hãy chỉnh giờ tự động.
doctor-ok = Mọi thứ ổn: đã kết nối { $all }/{ $all } thành viên khác.
doctor-termux = Máy này chạy { $surface ->
        [web] ứng dụng KDC Sync
       *[other] kdcd
    } trong Termux (Android): Android không cho Termux tự tìm thiết bị (mDNS), nên hãy vào khu bằng mã mời (mã có sẵn địa chỉ của máy mời). Để đồng bộ khi tắt màn hình: chạy { $surface ->
        [web] termux-wake-lock (trong Termux)
       *[other] `termux-wake-lock`
    } và tắt "Tối ưu hóa pin" cho Termux trong Cài đặt.

## kdc, more

cli-this-device = Thiết bị này
cli-none = (không có)
cli-listening-on = Đang nghe tại
cli-on = bật
cli-off = tắt
cli-devices-seen-by-mdns = thiết bị đã thấy qua mDNS
cli-this-device-s-clock = Đồng hồ máy này
cli-a-public-address = có địa chỉ công khai
cli-reachable-from-other-networks = Kết nối được từ mạng khác
cli-reachable = Kết nối được
cli-no-address-known = chưa biết địa chỉ
cli-advice = Lời khuyên:
cli-declined-do-not-ask-again = từ chối, không hỏi lại
cli-invalid-counts-as-unknown = không hợp lệ, tính là chưa rõ
cli-update-kept = Đã giữ bản { $version } ({ $target }) để gửi cho đồng đội.
cli-update-rolled-back = Đã quay lại bản trước; kdcd đang khởi động lại.
cli-update-none-offered = Chưa có đồng đội nào đang kết nối gửi bản mới hơn { $current } cho máy này ({ $target }).
cli-update-needs-yes = cần xác nhận: thêm --yes để cài khi không chạy trên terminal
cli-update-confirm = Cài bản { $version } (từ { $from }, { $size } byte) thay cho bản { $current }? [c/K]
cli-update-not-installed = không cài
cli-update-installed = Đã cài bản { $version } (thay bản { $previous }, { $bytes } byte tải về); kdcd đang khởi động lại.
cli-update-current = Bản đang dùng: { $current } ({ $target })
cli-update-no-offer = Chưa có bản mới hơn từ đồng đội đang kết nối.
cli-update-offer = Bản mới { $version } từ { $from } ({ $size } byte): chạy `kdc update` để cài
cli-refusal = { $by ->
        [peer] { $who } đã từ chối tin đồng bộ khu { $area } lúc { $at }: { $reason }
       *[other] Đã từ chối tin đồng bộ khu { $area } từ { $who } lúc { $at }: { $reason }
    }
cli-erase-cancelled = đã hủy: không xóa gì (thêm --yes để xóa không hỏi)
cli-erase-confirm = Xóa hẳn hộ { $hh } khỏi khu { $area }, cả lịch sử, trên mọi máy? Không thể hoàn tác. Gõ { $hh } để xác nhận:
cli-erased = Đã xóa hộ { $hh } khỏi khu { $area }: khu sang kỳ dữ liệu { $epoch }.
cli-erasure-status = Khu { $area }: kỳ dữ liệu { $epoch }; hộ đã xóa: { $erased }
cli-erasure-adopted = ✓ đã nhận kỳ mới
cli-erasure-not-adopted = ✗ còn giữ dữ liệu cũ
cli-erasure-removed-behind = máy đã gỡ { $name } ({ $peer }) lần cuối giữ kỳ { $held }: có thể còn dữ liệu đã xóa (máy mất: báo vi phạm trong 72 giờ)
cli-erasure-pending = { $count } máy chưa nhận kỳ mới: chúng sẽ nhận khi đồng bộ; máy không quay lại thì gỡ khỏi khu (kdc member remove).
cli-profile-upgraded = Khu { $area } đã chuyển sang bộ tiêu chí { $profile } phiên bản { $version }
cli-ui-revoked = Đã đăng xuất trình duyệt { $id }.
cli-ui-scan = Quét mã này bằng camera của điện thoại (cùng Wi-Fi), hoặc mở đường dẫn; dùng một lần, trong 10 phút:
cli-ui-open = Mở đường dẫn này trong trình duyệt (dùng một lần, trong 10 phút):
cli-ui-no-sessions = Không có trình duyệt nào đang đăng nhập.
cli-ui-col-logged-in = Đăng nhập lúc
cli-ui-col-last-seen = Lần cuối
cli-ui-col-lan = Qua LAN
cli-ui-col-browser = Trình duyệt
cli-relay-leaves-behind = Lưu ý: các máy sau không nhận được thay đổi của khu cho đến khi cập nhật lên bản { $since }: { $devices }
refusal-text-invalid = { $what } không hợp lệ: tối đa 200 ký tự, không xuống dòng hay ký tự điều khiển.
refusal-house-code = Mã nhà không hợp lệ: dùng chữ A–Z, số, dấu chấm, gạch dưới hoặc gạch ngang, từ 1 đến 64 ký tự (ví dụ T3-045).
refusal-consent-missing = Chưa ghi nhận đồng ý: chọn “Đồng ý” (bằng lời hoặc ký phiếu) trước khi ghi câu trả lời, hoặc chọn “Từ chối” để chỉ giữ mã nhà.
refusal-consent-method = Chọn cách hộ đồng ý: bằng lời hoặc ký phiếu.
refusal-group = Tên tổ
refusal-address = Địa chỉ
refusal-consent-ref = Số phiếu đồng ý
refusal-notice-version = Phiên bản thông báo
refusal-nothing-to-save = Chưa có gì để lưu: ghi ít nhất một câu trả lời.
refusal-not-accepted = Giá trị không được nhận ({ $detail }).
web-team-relay-head-only = Chỉ trưởng khu được thêm hoặc bỏ máy chuyển tiếp.
web-team-relay-invalid = Địa chỉ máy chuyển tiếp không hợp lệ: cần địa chỉ đầy đủ do kdcd của máy đó in ra, ví dụ /ip4/203.0.113.7/tcp/4001/p2p/12D3KooW… ({ $detail })
web-worklist-gap-persons = { $label }: còn { $persons } người chưa có
refusal-value = Giá trị “{ $typed }” không được nhận. Cho phép: { $allowed }.
refusal-allowed-count = số nguyên từ { $min } đến { $max }
refusal-not-above = , không lớn hơn “{ $label }”{ $figure }
refusal-not-below = , không nhỏ hơn “{ $label }”{ $figure }
refusal-allowed-yes-no = Có hoặc Không
refusal-allowed-yes-no-unknown = Có, Không hoặc Chưa rõ
refusal-business-only = Chỉ ghi cho hộ kinh doanh.
refusal-not-found = { $what ->
        [area] không có khu { $which } trên thiết bị này
        [household] không có hộ { $which } trong khu này
        [member] { $which } không có trong danh sách thành viên của khu
        [relay] khu không có máy chuyển tiếp { $which }
       *[other] không tìm thấy { $what } { $which }
    }
refusal-exists = { $what ->
        [area] khu { $which } đã có trên thiết bị này
        [household] hộ { $which } đã có trong khu (sửa bằng: kdc household set)
       *[other] { $what } { $which } đã có
    }

## kdcd's own lines on its terminal (both languages at once: kdcd has no language setting)

kdcd-open-in-browser = mở trong trình duyệt (10 phút)
kdcd-how-to-log-in = để đăng nhập ứng dụng web, chạy `kdc --data-dir { $dir } ui` (in ra liên kết đăng nhập dùng một lần)
kdcd-passphrase = Mật khẩu của khóa dữ liệu
kdcd-passphrase-again = Nhập lại
web-ward-failed = { $step ->
        [saving] Không lưu được thiết lập
        [decoding] Không đọc được các tệp
        [merging] Không gộp được các tệp
       *[other] Không lập được báo cáo
    }: lỗi bên trong kdcd; hãy thử lại, và nếu vẫn lỗi, gửi nhật ký của kdcd cho người hỗ trợ.
