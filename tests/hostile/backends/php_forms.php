<?php
// php_forms.php - the PHP backend of tests/hostile/test_backends.py, run by
// `php -S 127.0.0.1:PORT php_forms.php`: what PHP hands an application for
// the request it was sent ($_POST, $_FILES, or a JSON body through
// json_decode), as JSON: {"fields": [[name, base64 value]...],
// "files": [[name, filename, base64 content]...]}.
$out = ["fields" => [], "files" => []];

function sk_field($name, $v, &$out)
{
    if (is_array($v) || is_object($v)) {
        foreach ($v as $k => $x) {
            sk_field($name . "[" . $k . "]", $x, $out);
        }
        return;
    }
    if (is_float($v)) {
        $v = json_encode($v);
    }
    $out["fields"][] = [base64_encode((string)$name), base64_encode((string)$v)];
}

foreach ($_POST as $k => $v) {
    sk_field($k, $v, $out);
}
foreach ($_FILES as $k => $f) {
    $names = (array)$f["name"];
    $tmps = (array)$f["tmp_name"];
    foreach ($tmps as $i => $tmp) {
        $data = is_string($tmp) && $tmp !== "" ? file_get_contents($tmp) : "";
        $out["files"][] = [base64_encode((string)$k), base64_encode((string)$names[$i]),
                           base64_encode((string)$data)];
    }
}
$ct = $_SERVER["CONTENT_TYPE"] ?? "";
if (stripos($ct, "json") !== false) {
    $j = json_decode(file_get_contents("php://input"), false, 512, JSON_BIGINT_AS_STRING);
    if ($j !== null) {
        sk_field("json", $j, $out);
    }
}
header("Content-Type: application/json");
echo json_encode($out);
